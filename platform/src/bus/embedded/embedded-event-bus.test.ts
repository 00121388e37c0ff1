import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BusMessage, OutgoingRecord } from "../event-bus.ts";
import { partitionForKey } from "../partition-for-key.ts";
import { quietLogger, tempDir, waitFor } from "../test-support.ts";
import { EmbeddedEventBus, type EmbeddedEventBusOptions } from "./embedded-event-bus.ts";

const TOPIC = "llm.requests.v1";
let dir: { path: string; remove: () => Promise<void> };
const open: EmbeddedEventBus[] = [];

function openBus(options: Partial<EmbeddedEventBusOptions> = {}): Promise<EmbeddedEventBus> {
  return EmbeddedEventBus.open({
    dataDir: dir.path,
    logger: quietLogger,
    retryBackoff: { initialMs: 10, maxMs: 50 },
    ...options,
  }).then((bus) => {
    open.push(bus);
    return bus;
  });
}

function record(key: string | null, body: unknown): OutgoingRecord {
  return { key, value: Buffer.from(JSON.stringify(body)), headers: { source: "test" } };
}

/** Subscribes and collects every delivered message (duplicates included). */
async function collect(bus: EmbeddedEventBus, groupId: string, fromBeginning = true) {
  const seen: BusMessage[] = [];
  const subscription = await bus.subscribe({
    groupId,
    topics: [TOPIC],
    fromBeginning,
    handleBatch: async (batch) => {
      seen.push(...batch.messages);
    },
  });
  return { seen, subscription };
}

beforeEach(async () => {
  dir = await tempDir("embedded-log");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((bus) => bus.close()));
  await dir.remove();
});

describe("EmbeddedEventBus", () => {
  it("publishes durably and delivers every record to a consumer group, then commits", async () => {
    const bus = await openBus();
    await bus.ensureTopics([{ name: TOPIC, partitions: 3 }]);
    const records = Array.from({ length: 100 }, (_, i) => record(`trace-${i}`, { i }));
    await bus.publish(TOPIC, records);

    const { seen } = await collect(bus, "ingest");
    await waitFor("100 records", () => seen.length === 100);
    expect(new Set(seen.map((m) => JSON.parse(m.value!.toString()).i)).size).toBe(100);
    expect(seen[0]!.headers).toEqual({ source: "test" });
    expect(seen[0]!.timestamp).toBeGreaterThan(Date.now() - 60_000);

    const ends = await bus.endOffsets(TOPIC);
    expect([...ends.values()].reduce((sum, o) => sum + Number(o), 0)).toBe(100);
    await waitFor("commits to reach the end", async () => {
      const committed = await bus.committedOffsets("ingest", TOPIC);
      return [...ends].every(([p, end]) => committed.get(p) === end);
    });
  });

  it("keeps per-key order and sends a key to Kafka's partition for it", async () => {
    const bus = await openBus({ maxBatchRecords: 7 });
    await bus.ensureTopics([{ name: TOPIC, partitions: 4 }]);
    const keys = Array.from({ length: 10 }, (_, k) => `key-${k}`);
    // Many concurrent publishes of one record each: group commit must still keep their order.
    const publishes: Promise<void>[] = [];
    for (let seq = 0; seq < 50; seq += 1) {
      for (const key of keys) publishes.push(bus.publish(TOPIC, [record(key, { key, seq })]));
    }
    await Promise.all(publishes);

    const { seen } = await collect(bus, "ordering");
    await waitFor("500 records", () => seen.length === 500);
    for (const key of keys) {
      const mine = seen.filter((m) => m.key === key);
      expect(new Set(mine.map((m) => m.partition))).toEqual(new Set([partitionForKey(key, 4)]));
      expect(mine.map((m) => JSON.parse(m.value!.toString()).seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    }
    expect(bus.stats().appendRounds).toBeLessThan(500);
  });

  it("survives a restart: records and committed offsets are on disk", async () => {
    const first = await openBus({ segmentBytes: 2048 });
    await first.ensureTopics([{ name: TOPIC, partitions: 2 }]);
    await first.publish(
      TOPIC,
      Array.from({ length: 60 }, (_, i) => record(`k${i % 5}`, { i })),
    );
    const { seen, subscription } = await collect(first, "ingest");
    await waitFor("first 60", () => seen.length === 60);
    await subscription.stop();
    const committedBefore = await first.committedOffsets("ingest", TOPIC);
    await first.close();

    const second = await openBus({ segmentBytes: 2048 });
    expect(await second.committedOffsets("ingest", TOPIC)).toEqual(committedBefore);
    await second.publish(
      TOPIC,
      Array.from({ length: 10 }, (_, i) => record(`k${i % 5}`, { i: 60 + i })),
    );
    const resumed = await collect(second, "ingest");
    await waitFor("only the 10 new records", () => resumed.seen.length === 10);
    expect(resumed.seen.map((m) => JSON.parse(m.value!.toString()).i).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => 60 + i),
    );
    const replay = await collect(second, "replay");
    await waitFor("all 70 from the beginning", () => replay.seen.length === 70);
  });

  it("redelivers a batch whose handler failed, without committing it", async () => {
    const bus = await openBus();
    await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
    await bus.publish(TOPIC, [record("a", 1), record("a", 2), record("a", 3)]);
    const deliveries: string[][] = [];
    const committedWhileFailing: Map<number, string>[] = [];
    await bus.subscribe({
      groupId: "flaky",
      topics: [TOPIC],
      fromBeginning: true,
      handleBatch: async (batch) => {
        deliveries.push(batch.messages.map((m) => m.offset));
        if (deliveries.length <= 2) {
          committedWhileFailing.push(await bus.committedOffsets("flaky", TOPIC));
          throw new Error("ClickHouse unavailable");
        }
      },
    });
    await waitFor("commit after the third delivery", async () => {
      return (await bus.committedOffsets("flaky", TOPIC)).get(0) === "3";
    });
    expect(deliveries.slice(0, 3)).toEqual([
      ["0", "1", "2"],
      ["0", "1", "2"],
      ["0", "1", "2"],
    ]);
    expect(committedWhileFailing.every((c) => c.size === 0)).toBe(true);
  });

  it("rejects publishing to a topic nobody ensured and a second writer on the same dir", async () => {
    const bus = await openBus();
    await expect(bus.publish("nope.v1", [record(null, 1)])).rejects.toThrow(/unknown topic/);
    await expect(bus.ensureTopics([{ name: "../escape", partitions: 1 }])).rejects.toThrow(/invalid topic/);
    // gateway and ingest in one process must share one instance, not open two writers.
    await expect(EmbeddedEventBus.open({ dataDir: dir.path, logger: quietLogger })).rejects.toThrow(/already open/);
    // The lock names a live process other than this one (the test runner): a second writer must refuse.
    const other = await tempDir("locked");
    await writeFile(join(other.path, ".writer.lock"), String(process.ppid));
    await expect(EmbeddedEventBus.open({ dataDir: other.path, logger: quietLogger })).rejects.toThrow(/being written/);
    await other.remove();
  });
});
