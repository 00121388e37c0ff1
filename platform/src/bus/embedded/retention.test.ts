import { readdir, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BusMessage, OutgoingRecord } from "../event-bus.ts";
import { quietLogger, tempDir, waitFor } from "../test-support.ts";
import { EmbeddedEventBus, type EmbeddedEventBusOptions } from "./embedded-event-bus.ts";
import { GroupOffsets } from "./group-offsets.ts";
import { DEFAULT_RETENTION, type RetentionPolicy } from "./retention-policy.ts";

const TOPIC = "llm.requests.v1";
const HOUR = 60 * 60 * 1000;
let dir: { path: string; remove: () => Promise<void> };
const open: EmbeddedEventBus[] = [];

function openBus(retention: Partial<RetentionPolicy>, options: Partial<EmbeddedEventBusOptions> = {}) {
  return EmbeddedEventBus.open({
    dataDir: dir.path,
    logger: quietLogger,
    segmentBytes: 4096,
    retention: { ...DEFAULT_RETENTION, ...retention },
    ...options,
  }).then((bus) => {
    open.push(bus);
    return bus;
  });
}

const record = (i: number): OutgoingRecord => ({ key: null, value: Buffer.from(`event-${i}-${"x".repeat(120)}`) });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => record(from + i));

/** Segment files of partition 0: count and bytes on disk (a file the writer deletes meanwhile is skipped). */
async function segmentFiles(topic = TOPIC): Promise<{ count: number; bytes: number; names: string[] }> {
  const partition = join(dir.path, topic, "0");
  const names: string[] = [];
  let bytes = 0;
  for (const name of (await readdir(partition)).filter((n) => n.endsWith(".log")).sort()) {
    const size = await stat(join(partition, name)).then(
      (s) => s.size,
      () => null,
    );
    if (size === null) continue;
    names.push(name);
    bytes += size;
  }
  return { count: names.length, bytes, names };
}

async function consume(bus: EmbeddedEventBus, groupId: string, topic = TOPIC) {
  const seen: BusMessage[] = [];
  const subscription = await bus.subscribe({
    groupId,
    topics: [topic],
    fromBeginning: true,
    handleBatch: async (batch) => {
      seen.push(...batch.messages);
    },
  });
  return { seen, subscription };
}

async function committedTo(bus: EmbeddedEventBus, groupId: string, end: number, topic = TOPIC): Promise<void> {
  await waitFor(
    `${groupId} to commit ${end}`,
    async () => (await bus.committedOffsets(groupId, topic)).get(0) === String(end),
  );
}

beforeEach(async () => {
  dir = await tempDir("retention");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((bus) => bus.close()));
  await dir.remove();
});

describe("embedded log retention", () => {
  it("keeps disk use flat under steady load: appends and consumption across many small segments", async () => {
    const maxBytes = 16 * 1024;
    const bus = await openBus({ maxAgeMs: null, maxBytes });
    await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    const { seen } = await consume(bus, "ingest");
    let peakBytes = 0;
    let peakFiles = 0;
    let deleted = 0;
    const rounds = 60;
    const perRound = 100;
    for (let round = 0; round < rounds; round += 1) {
      await bus.publish(TOPIC, range(round * perRound, (round + 1) * perRound));
      await committedTo(bus, "ingest", (round + 1) * perRound);
      deleted += (await bus.enforceRetention()).deletedSegments;
      const files = await segmentFiles();
      peakBytes = Math.max(peakBytes, files.bytes);
      peakFiles = Math.max(peakFiles, files.count);
    }
    if (process.env.RETENTION_REPORT)
      console.log({ appendedBytes: rounds * perRound * 180, peakBytes, peakFiles, deleted });
    const appendedBytes = rounds * perRound * (record(0).value.length + 40);
    // ~1 MB appended over ~250 segments; what stays is the size limit plus one round and the active segment.
    expect(appendedBytes).toBeGreaterThan(50 * maxBytes);
    expect(deleted).toBeGreaterThan(150);
    expect(peakBytes).toBeLessThanOrEqual(maxBytes + perRound * 200 + 4096);
    expect(peakFiles).toBeLessThanOrEqual(Math.ceil(maxBytes / 4096) + 6);
    // Nothing the group had not read was deleted: every record arrived once, in order.
    expect(seen.map((m) => Number(m.offset))).toEqual(Array.from({ length: rounds * perRound }, (_, i) => i));
  });

  it("deletes by age on the writer's own schedule once the group has read the segments", async () => {
    let shift = 0;
    const bus = await openBus({ maxAgeMs: HOUR, checkIntervalMs: 20 }, { now: () => Date.now() + shift });
    await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    const { seen } = await consume(bus, "ingest");
    await bus.publish(TOPIC, range(0, 300));
    await committedTo(bus, "ingest", 300);
    const before = await segmentFiles();
    expect(before.count).toBeGreaterThan(5);
    // Younger than the retention: kept.
    expect((await bus.enforceRetention()).deletedSegments).toBe(0);
    shift = 2 * HOUR;
    await waitFor("the timer's pass to leave only the active segment", async () => (await segmentFiles()).count === 1);
    expect(seen).toHaveLength(300);
  });

  it("never deletes a segment some live group has not committed past", async () => {
    const bus = await openBus({ maxAgeMs: 0 });
    await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    await bus.publish(TOPIC, range(0, 400));
    await consume(bus, "fast");
    await committedTo(bus, "fast", 400);
    // "slow" handles batches until it holds 150 records, then its handler keeps failing: its
    // commit pins every segment from there on.
    const slow: BusMessage[] = [];
    const slowSub = await bus.subscribe({
      groupId: "slow",
      topics: [TOPIC],
      fromBeginning: true,
      handleBatch: async (batch) => {
        if (slow.length >= 150) throw new Error("slow consumer stalls");
        slow.push(...batch.messages);
      },
    });
    await waitFor("slow to stall", () => slow.length >= 150);
    await committedTo(bus, "slow", slow.length);
    await slowSub.stop();
    const slowCommit = slow.length;
    expect(slowCommit).toBeLessThan(300);

    const report = await bus.enforceRetention();
    expect(report.deletedSegments).toBeGreaterThan(0);
    const first = Number((await segmentFiles()).names[0]!.slice(0, 20));
    expect(first).toBeLessThanOrEqual(slowCommit);

    // The slow group resumes exactly where it was, with no gap and no error.
    const resumed = await consume(bus, "slow");
    await waitFor("slow to catch up", () => resumed.seen.length === 400 - slowCommit);
    expect(resumed.seen.map((m) => Number(m.offset))).toEqual(
      Array.from({ length: 400 - slowCommit }, (_, i) => slowCommit + i),
    );
  });

  it("reads after deletion start at the earliest retained offset, in the writer and in a reader", async () => {
    const bus = await openBus({ maxAgeMs: 0 });
    await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    await bus.publish(TOPIC, range(0, 300));
    const reader = await openBus({}, { access: "read-only", pollIntervalMs: 25 });
    // The reader indexes every segment before the writer deletes most of them.
    expect(await reader.endOffsets(TOPIC)).toEqual(new Map([[0, "300"]]));
    const { subscription } = await consume(bus, "ingest");
    await committedTo(bus, "ingest", 300);
    await subscription.stop();
    expect((await bus.enforceRetention()).deletedSegments).toBeGreaterThan(3);
    const start = Number((await segmentFiles()).names[0]!.slice(0, 20));
    expect(start).toBeGreaterThan(0);

    for (const [name, instance] of [
      ["writer", bus],
      ["reader", reader],
    ] as const) {
      const { seen } = await consume(instance, `replay-${name}`);
      await waitFor(`${name}: the retained records`, () => seen.length >= 300 - start);
      expect(seen.map((m) => Number(m.offset))).toEqual(Array.from({ length: 300 - start }, (_, i) => start + i));
    }
    await bus.publish(TOPIC, range(300, 310));
    expect(await reader.endOffsets(TOPIC)).toEqual(new Map([[0, "310"]]));
  });

  it("a read-only process keeps tailing while the writer deletes the segments it had indexed", async () => {
    const bus = await openBus({ maxAgeMs: 0 });
    await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    const reader = await openBus({}, { access: "read-only", pollIntervalMs: 10 });
    const { seen } = await consume(reader, "tail");
    let deleted = 0;
    for (let round = 0; round < 10; round += 1) {
      await bus.publish(TOPIC, range(round * 100, (round + 1) * 100));
      await committedTo(bus, "tail", (round + 1) * 100);
      deleted += (await bus.enforceRetention()).deletedSegments;
    }
    expect(deleted).toBeGreaterThan(20);
    expect(seen.map((m) => Number(m.offset))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const start = (await bus.startOffsets(TOPIC)).get(0);
    await waitFor(
      "the reader to learn the new log start",
      async () => (await reader.startOffsets(TOPIC)).get(0) === start,
    );
  });

  it("an abandoned group stops pinning the log once expired, and its offsets file goes", async () => {
    let shift = 0;
    const bus = await openBus({ maxAgeMs: 0, groupExpiryMs: 24 * HOUR }, { now: () => Date.now() + shift });
    await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    await bus.publish(TOPIC, range(0, 200));
    const { subscription } = await consume(bus, "ingest-replay-20260101");
    await committedTo(bus, "ingest-replay-20260101", 200);
    await subscription.stop();
    await bus.publish(TOPIC, range(200, 400));
    await consume(bus, "ingest");
    await committedTo(bus, "ingest", 400);

    const pinned = await bus.enforceRetention();
    const files = await segmentFiles();
    expect(Number(files.names[0]!.slice(0, 20))).toBeLessThanOrEqual(200);
    expect(pinned.expiredGroups).toEqual([]);

    shift = 25 * HOUR;
    // "ingest" is live in this process: it never expires, however old its file.
    const old = new Date(Date.now() - 48 * HOUR);
    await utimes(GroupOffsets.fileFor(dir.path, "ingest"), old, old);
    const report = await bus.enforceRetention();
    expect(report.expiredGroups).toEqual(["ingest-replay-20260101"]);
    expect(Number((await segmentFiles()).names[0]!.slice(0, 20))).toBeGreaterThan(200);
    expect(await bus.committedOffsets("ingest-replay-20260101", TOPIC)).toEqual(new Map());
    expect(await bus.committedOffsets("ingest", TOPIC)).toEqual(new Map([[0, "400"]]));
  });
});
