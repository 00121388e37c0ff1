import { readdir } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { EmbeddedEventBus } from "../embedded/embedded-event-bus.ts";
import type { EventBus, OutgoingRecord } from "../event-bus.ts";
import { KafkaEventBus } from "../kafka/kafka-event-bus.ts";
import { quietLogger, tempDir, uniqueName, waitFor } from "../test-support.ts";
import { SpoolingPublisher } from "./spooling-publisher.ts";

const TOPIC = "llm.requests.v1";
/** Undone after each test, failed or not, newest first: no stray dirs or open handles. */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const undo of cleanups.splice(0).reverse()) await undo().catch(() => undefined);
});

async function scratchDir(prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  cleanups.push(dir.remove);
  return dir.path;
}

async function startPublisher(options: Parameters<typeof SpoolingPublisher.start>[0]): Promise<SpoolingPublisher> {
  const publisher = await SpoolingPublisher.start(options);
  cleanups.push(() => publisher.close());
  return publisher;
}

async function openEmbedded(dataDir: string): Promise<EmbeddedEventBus> {
  const bus = await EmbeddedEventBus.open({ dataDir, logger: quietLogger });
  cleanups.push(() => bus.close());
  await bus.ensureTopics([{ name: TOPIC, partitions: 2 }]);
  return bus;
}
const event = (id: number): OutgoingRecord => ({ key: `trace-${id % 17}`, value: Buffer.from(JSON.stringify({ id })) });

/** Reads the whole topic with a fresh group until `expected` distinct ids arrived; returns them. */
async function distinctIds(bus: EventBus, topic: string, expected: number): Promise<Set<number>> {
  const ids = new Set<number>();
  const subscription = await bus.subscribe({
    groupId: uniqueName("count"),
    topics: [topic],
    fromBeginning: true,
    handleBatch: async (batch) => {
      for (const m of batch.messages) ids.add(JSON.parse(m.value!.toString()).id);
    },
  });
  await waitFor(`${expected} distinct events`, () => ids.size >= expected, 30_000);
  await subscription.stop();
  return ids;
}

describe("SpoolingPublisher spool semantics", () => {
  it("close() spools what the bus refused; the next start replays it and deletes the files", async () => {
    const spoolDir = await scratchDir("spool-restart");
    // A broker address nobody listens on: every publish fails fast.
    const down = new KafkaEventBus({ brokers: ["127.0.0.1:9"], clientId: "down", logger: quietLogger });
    cleanups.push(() => down.close());
    const first = await startPublisher({ bus: down, spoolDir, logger: quietLogger });
    for (let i = 0; i < 120; i += 1) first.enqueue(TOPIC, event(i));
    await first.close();
    await down.close();
    expect(first.stats()).toMatchObject({ queueDepth: 0, spooledRecords: 120, published: 0, lost: 0 });
    expect((await readdir(spoolDir)).length).toBeGreaterThan(0);

    const embedded = await openEmbedded(await scratchDir("spool-restart-log"));
    const second = await startPublisher({ bus: embedded, spoolDir, logger: quietLogger });
    await waitFor("the leftover spool replayed", () => second.stats().published === 120);
    await waitFor("spool files deleted", async () => (await readdir(spoolDir)).length === 0);
    expect((await distinctIds(embedded, TOPIC, 120)).size).toBe(120);
  });

  it("spills to disk instead of dropping or blocking when the in-memory queue is full", async () => {
    const embedded = await openEmbedded(await scratchDir("spool-full-log"));
    const publisher = await startPublisher({
      bus: embedded,
      spoolDir: await scratchDir("spool-full"),
      logger: quietLogger,
      maxQueueRecords: 50,
      maxBatchRecords: 20,
      replayBackoff: { initialMs: 10, maxMs: 50 },
    });
    const started = performance.now();
    for (let i = 0; i < 2000; i += 1) publisher.enqueue(TOPIC, event(i));
    expect(performance.now() - started).toBeLessThan(200);
    await waitFor("all 2000 acknowledged", () => publisher.stats().published === 2000);
    expect(publisher.stats().spilled).toBeGreaterThan(0);
    await waitFor("memory drained", () => publisher.stats().queueDepth === 0);
    expect(publisher.stats()).toMatchObject({ lost: 0, spooledRecords: 0 });
    expect((await distinctIds(embedded, TOPIC, 2000)).size).toBe(2000);
  });

  it("enqueue() resolves once the record is durable: written to the log when the bus takes it, spooled when not", async () => {
    const embedded = await openEmbedded(await scratchDir("spool-durable-log"));
    const publisher = await startPublisher({
      bus: embedded,
      spoolDir: await scratchDir("spool-durable"),
      logger: quietLogger,
    });
    await Promise.all([publisher.enqueue(TOPIC, event(1)), publisher.enqueue(TOPIC, event(2))]);
    expect(publisher.stats()).toMatchObject({ published: 2, queueDepth: 0 });
    // Written (a SIGKILL keeps them); consumers see them once the round's fsync is done.
    const visible = async () => [...(await embedded.endOffsets(TOPIC)).values()].reduce((sum, e) => sum + Number(e), 0);
    await waitFor("both records visible after their fsync", async () => (await visible()) === 2);

    const spoolDir = await scratchDir("spool-durable-down");
    const down = new KafkaEventBus({ brokers: ["127.0.0.1:9"], clientId: "down", logger: quietLogger });
    cleanups.push(() => down.close());
    const degraded = await startPublisher({ bus: down, spoolDir, logger: quietLogger });
    await degraded.enqueue(TOPIC, event(3));
    expect(degraded.stats()).toMatchObject({ spilled: 1, spooledRecords: 1, lost: 0 });
    expect((await readdir(spoolDir)).length).toBe(1);
  });
});
