import { describe, expect, it } from "vitest";
import { bodyChunks, type PendingRow, packRows } from "./pending-row.ts";

function row(n: number, line: string): PendingRow {
  return {
    eventId: `id-${n}`,
    occurredAt: "2025-06-01 10:15:00.000",
    tenantId: "acme",
    source: { topic: "t", partition: 0, offset: String(n) },
    columns: ["n", "s"],
    line,
  };
}

const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString("utf8");

describe("packRows and bodyChunks", () => {
  it("packs a slice's lines into views of one buffer, each line ending in a newline", () => {
    const rows = [row(1, '[1,"a"]'), row(2, '[2,"b"]'), row(3, '[3,"c"]')];
    packRows(rows);
    const views = rows.map((r) => r.line as Buffer);
    expect(views.map((v) => v.toString("utf8"))).toEqual(['[1,"a"]\n', '[2,"b"]\n', '[3,"c"]\n']);
    expect(new Set(views.map((v) => v.buffer)).size).toBe(1);
    expect(bodyChunks(rows)).toHaveLength(1);
    expect(text(bodyChunks(rows))).toBe('[1,"a"]\n[2,"b"]\n[3,"c"]\n');
  });

  it("keeps every line's bytes when the slice holds characters beyond ASCII", () => {
    const rows = [row(1, '[1,"é"]'), row(2, '[2,"日本"]'), row(3, '[3,"🚀"]'), row(4, '[4,"x"]')];
    packRows(rows);
    expect(rows.map((r) => (r.line as Buffer).toString("utf8"))).toEqual([
      '[1,"é"]\n',
      '[2,"日本"]\n',
      '[3,"🚀"]\n',
      '[4,"x"]\n',
    ]);
  });

  it("packs a slice whose last line stops early in the ASCII-sized buffer with as many bytes as characters", () => {
    // "éé" is 2 characters and 4 bytes: in the 3 bytes left for it, one "é" (2 bytes) fits.
    const rows = [row(1, "[1]"), row(2, "éé")];
    packRows(rows);
    expect(rows.map((r) => (r.line as Buffer).toString("utf8"))).toEqual(["[1]\n", "éé\n"]);
  });

  it("builds the body of any subset in order: contiguous views as one range, gaps and string lines kept", () => {
    const first = [row(1, "[1]"), row(2, "[2]"), row(3, "[3]"), row(4, "[4]")];
    const second = [row(5, "[5]"), row(6, "[6]")];
    packRows(first);
    packRows(second);
    const unpacked = row(7, "[7]");
    const subset = [first[0]!, first[1]!, first[3]!, second[0]!, second[1]!, unpacked];
    // [1][2] contiguous: one range; [4] comes after a gap; [7] is still text.
    const chunks = bodyChunks(subset);
    expect(chunks[0]!.toString("utf8")).toBe("[1]\n[2]\n");
    expect(chunks.at(-1)!.toString("utf8")).toBe("[7]\n");
    expect(text(chunks)).toBe("[1]\n[2]\n[4]\n[5]\n[6]\n[7]\n");
    expect(text(bodyChunks([unpacked, first[2]!]))).toBe("[7]\n[3]\n");
    expect(bodyChunks([])).toEqual([]);
  });
});
