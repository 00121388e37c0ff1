import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BusMessage, OutgoingRecord } from "../event-bus.ts";
import { encodeFrame } from "../record-frame.ts";
import { quietLogger, tempDirPerTest, waitFor } from "../test-support.ts";
import { EmbeddedEventBus } from "./embedded-event-bus.ts";
import { withoutFirstBytes } from "./fd-io.ts";
import { segmentFileName } from "./log-segment.ts";

// The append path writes each frame as two parts (head + the record's value) with one writev
// per round, then one fdatasync. These pin what that must keep: the bytes on disk are exactly the
// frames encodeFrame gives (the format readers and the spool share), a round larger than IOV_MAX
// parts is written whole, and a failed write leaves the partition refusing appends until reopened.
const TOPIC = "llm.requests.v1";
const dir = tempDirPerTest("append-path");

async function readAll(bus: EmbeddedEventBus, expected: number): Promise<BusMessage[]> {
  const messages: BusMessage[] = [];
  const subscription = await bus.subscribe({
    groupId: "reader",
    topics: [TOPIC],
    fromBeginning: true,
    handleBatch: async (batch) => {
      messages.push(...batch.messages);
    },
  });
  await waitFor(`${expected} records`, () => messages.length >= expected);
  await subscription.stop();
  return messages;
}

describe("embedded log append path", () => {
  it("writes a round of 3000 records (more than IOV_MAX parts) as exactly encodeFrame's frames", async () => {
    const records: OutgoingRecord[] = Array.from({ length: 3000 }, (_, i) => ({
      key: i % 7 === 0 ? null : `kéy-${i}`,
      value: Buffer.from(`value ${i} ${"x".repeat(i % 50)}`),
      headers:
        i % 3 === 0 ? { traceparent: `00-${i}`, "x-ü": "ß" } : i % 3 === 1 ? ({} as Record<string, string>) : undefined,
    }));
    const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger });
    await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    await Promise.all([bus.publish(TOPIC, records), bus.publish(TOPIC, [{ key: "last", value: Buffer.alloc(0) }])]);
    const read = await readAll(bus, 3001);
    await bus.close();

    expect(read.map((m) => [m.offset, m.key, m.value?.toString()])).toEqual(
      [...records, { key: "last", value: Buffer.alloc(0) }].map((r, i) => [String(i), r.key, r.value.toString()]),
    );
    expect(read[0]!.headers).toEqual({ traceparent: "00-0", "x-ü": "ß" });
    const expected = Buffer.concat(
      read.map((m, i) => {
        const headers = i < records.length ? records[i]!.headers : undefined;
        const header = {
          o: i,
          t: m.timestamp,
          k: m.key,
          ...(headers && Object.keys(headers).length > 0 ? { h: headers } : {}),
        };
        return encodeFrame(header, m.value ?? Buffer.alloc(0));
      }),
    );
    expect((await readFile(join(dir.path, TOPIC, "0", segmentFileName(0)))).equals(expected)).toBe(true);
  });

  it("refuses appends after a failed write until the log is reopened, then appends after the acknowledged records", async () => {
    const partition0 = join(dir.path, TOPIC, "0");
    const bus = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger, segmentBytes: 256 });
    await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    await bus.publish(TOPIC, [{ key: "a", value: Buffer.alloc(200, "a") }]);
    const kept = await readFile(join(partition0, segmentFileName(0)));
    // The next record rolls a new segment; with its directory gone, opening the segment fails.
    await rm(partition0, { recursive: true });
    await expect(bus.publish(TOPIC, [{ key: "b", value: Buffer.alloc(200, "b") }])).rejects.toThrow(/ENOENT/);
    await mkdir(partition0);
    await expect(bus.publish(TOPIC, [{ key: "c", value: Buffer.from("c") }])).rejects.toThrow(/ENOENT/);
    await bus.close();

    // Put the acknowledged segment back (the test removed it, not the failure): a reopened log appends.
    await writeFile(join(partition0, segmentFileName(0)), kept);
    const reopened = await EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger, segmentBytes: 256 });
    await reopened.publish(TOPIC, [{ key: "d", value: Buffer.from("d") }]);
    const read = await readAll(reopened, 2);
    await reopened.close();
    expect(read.map((m) => [m.offset, m.key])).toEqual([
      ["0", "a"],
      ["1", "d"],
    ]);
  });

  it("continues a short writev after the bytes already written", () => {
    const parts = [Buffer.from("abc"), Buffer.from(""), Buffer.from("defg"), Buffer.from("h")];
    const text = (buffers: Uint8Array[]) => Buffer.concat(buffers).toString();
    expect(text(withoutFirstBytes(parts, 0))).toBe("abcdefgh");
    expect(text(withoutFirstBytes(parts, 2))).toBe("cdefgh");
    expect(text(withoutFirstBytes(parts, 3))).toBe("defgh");
    expect(text(withoutFirstBytes(parts, 5))).toBe("fgh");
    expect(text(withoutFirstBytes(parts, 7))).toBe("h");
    expect(parts.map((p) => p.toString())).toEqual(["abc", "", "defg", "h"]);
  });
});
