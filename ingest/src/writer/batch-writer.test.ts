import { createLogger } from "@switchyard/platform";
import { describe, expect, it } from "vitest";
import type { PendingRow } from "../rows/pending-row.ts";
import { BatchWriter } from "./batch-writer.ts";
import type { InsertOutcome } from "./exactly-once-insert.ts";

const logger = createLogger({ level: "silent", name: "batch-writer-test" });

function row(n: number): PendingRow {
  return {
    eventId: `id-${n}`,
    occurredAt: "2025-06-01 10:15:00.000",
    tenantId: "acme",
    source: { topic: "t", partition: 0, offset: String(n) },
    columns: ["n"],
    line: `[${n}]`,
  };
}

/** A sink whose inserts finish only when the test says so, recording what each insert carried. */
function controlledSink() {
  const inserts: number[][] = [];
  const pending: Array<{ resolve: (o: InsertOutcome) => void; reject: (e: unknown) => void }> = [];
  const sink = (rows: readonly PendingRow[]) => {
    inserts.push(rows.map((r) => Number(r.source.offset)));
    const { promise, resolve, reject } = Promise.withResolvers<InsertOutcome>();
    pending.push({ resolve: (o) => resolve(o), reject });
    return promise;
  };
  const settle = async (index: number, outcome: InsertOutcome | Error) => {
    const entry = pending[index]!;
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
  };
  return { sink, inserts, pending, settle };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
};

describe("BatchWriter (group commit)", () => {
  it("flushes an idle writer's rows at once, without waiting for more", async () => {
    const { sink, inserts, settle } = controlledSink();
    const writer = new BatchWriter({ name: "t", sink, maxRows: 1_000, lingerMs: 0, logger });
    const written = writer.write([row(1), row(2)]);
    await until(() => inserts.length === 1);
    expect(inserts).toEqual([[1, 2]]);
    await settle(0, { inserted: 2, duplicates: 0 });
    await written;
    expect(writer.stats()).toMatchObject({ rowsWritten: 2, flushes: 1, bufferedRows: 0 });
  });

  it("gathers the rows written during a flush into the next one, in order", async () => {
    const { sink, inserts, settle } = controlledSink();
    const writer = new BatchWriter({ name: "t", sink, maxRows: 1_000, lingerMs: 0, logger });
    const first = writer.write([row(1)]);
    await until(() => inserts.length === 1);
    const second = writer.write([row(2), row(3)]);
    const third = writer.write([row(4)]);
    let secondDone = false;
    void second.then(() => (secondDone = true));
    await settle(0, { inserted: 1, duplicates: 0 });
    await first;
    await until(() => inserts.length === 2);
    expect(inserts[1]).toEqual([2, 3, 4]);
    expect(secondDone).toBe(false); // resolves only once its own rows are stored
    await settle(1, { inserted: 3, duplicates: 0 });
    await Promise.all([second, third]);
  });

  it("splits a flush into inserts of at most maxRows", async () => {
    const { sink, inserts, settle } = controlledSink();
    const writer = new BatchWriter({ name: "t", sink, maxRows: 2, lingerMs: 0, logger });
    const written = writer.write([row(1), row(2), row(3)]);
    await until(() => inserts.length === 1);
    await settle(0, { inserted: 2, duplicates: 0 });
    await until(() => inserts.length === 2);
    await settle(1, { inserted: 1, duplicates: 0 });
    await written;
    expect(inserts).toEqual([[1, 2], [3]]);
  });

  it("rejects exactly the writers of a failed flush and keeps going", async () => {
    const { sink, inserts, settle } = controlledSink();
    const writer = new BatchWriter({ name: "t", sink, maxRows: 1_000, lingerMs: 0, logger });
    const failing = writer.write([row(1)]);
    await until(() => inserts.length === 1);
    const next = writer.write([row(2)]);
    await settle(0, new Error("insert failed"));
    await expect(failing).rejects.toThrow("insert failed");
    await until(() => inserts.length === 2);
    await settle(1, { inserted: 1, duplicates: 0 });
    await next;
    expect(writer.stats()).toMatchObject({ failedFlushes: 1, flushes: 1, rowsWritten: 1 });
  });

  it("lets a partial batch linger until a full one arrives, which flushes both at once", async () => {
    const { sink, inserts, settle } = controlledSink();
    const writer = new BatchWriter({ name: "t", sink, maxRows: 1_000, lingerMs: 60_000, logger });
    const partial = writer.write([row(1)], { linger: true });
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(inserts).toEqual([]); // still lingering (for up to a minute here)
    const full = writer.write([row(2), row(3)]);
    await until(() => inserts.length === 1);
    expect(inserts).toEqual([[1, 2, 3]]);
    await settle(0, { inserted: 3, duplicates: 0 });
    await Promise.all([partial, full]);
  });

  it("rows that linger behind a flush wait lingerMs from its start: live traffic makes few inserts", async () => {
    const { sink, inserts, settle } = controlledSink();
    const writer = new BatchWriter({ name: "t", sink, maxRows: 1_000, lingerMs: 60_000, logger });
    const first = writer.write([row(1)]);
    await until(() => inserts.length === 1);
    const lingering = writer.write([row(2)], { linger: true });
    await settle(0, { inserted: 1, duplicates: 0 });
    await first;
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(inserts).toHaveLength(1); // the old rule inserted row 2 at once, however small
    const urgent = writer.write([row(3)]);
    await until(() => inserts.length === 2);
    expect(inserts[1]).toEqual([2, 3]);
    await settle(1, { inserted: 2, duplicates: 0 });
    await Promise.all([lingering, urgent]);
  });

  it("flushes a buffer that holds maxRows without waiting for the linger", async () => {
    const { sink, inserts, settle } = controlledSink();
    const writer = new BatchWriter({ name: "t", sink, maxRows: 2, lingerMs: 60_000, logger });
    const a = writer.write([row(1)], { linger: true });
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(inserts).toEqual([]);
    const b = writer.write([row(2)], { linger: true });
    await until(() => inserts.length === 1);
    expect(inserts).toEqual([[1, 2]]);
    await settle(0, { inserted: 2, duplicates: 0 });
    await Promise.all([a, b]);
  });

  it("a lingering write that ends its batch with half an insert buffered flushes at once; a smaller one waits", async () => {
    const { sink, inserts, settle } = controlledSink();
    const writer = new BatchWriter({ name: "t", sink, maxRows: 4, lingerMs: 60_000, logger });
    const small = writer.write([row(1)], { linger: true, endsBatch: true });
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(inserts).toEqual([]); // live traffic: 1 row of 4 lingers
    const half = writer.write([row(2)], { linger: true, endsBatch: true });
    await until(() => inserts.length === 1);
    expect(inserts).toEqual([[1, 2]]); // 2 of 4: the tail of a drained backlog does not wait
    await settle(0, { inserted: 2, duplicates: 0 });
    await Promise.all([small, half]);
    const midBatch = writer.write([row(3), row(4)], { linger: true }); // more of its batch follows
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(inserts).toHaveLength(1);
    const flushed = writer.flush();
    await until(() => inserts.length === 2);
    await settle(1, { inserted: 2, duplicates: 0 });
    await Promise.all([midBatch, flushed]);
  });

  it("stop() drains what is buffered and refuses later writes", async () => {
    const { sink, inserts, settle } = controlledSink();
    const writer = new BatchWriter({ name: "t", sink, maxRows: 1_000, lingerMs: 60_000, logger });
    const written = writer.write([row(1)], { linger: true });
    const stopped = writer.stop();
    await until(() => inserts.length === 1);
    await settle(0, { inserted: 1, duplicates: 0 });
    await Promise.all([written, stopped]);
    await expect(writer.write([row(2)])).rejects.toThrow("stopped");
  });
});
