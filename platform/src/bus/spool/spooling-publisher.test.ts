import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaBroker } from "../../../../test/src/kafka/broker.ts";
import { EmbeddedEventBus } from "../embedded/embedded-event-bus.ts";
import type { EventBus, OutgoingRecord } from "../event-bus.ts";
import { KafkaEventBus } from "../kafka/kafka-event-bus.ts";
import { quietLogger, tempDir, uniqueName, waitFor } from "../test-support.ts";
import { SpoolingPublisher } from "./spooling-publisher.ts";

const TOPIC = "llm.requests.v1";
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

describe("SpoolingPublisher through a Kafka outage", () => {
  // A broker of its own: this suite stops and restarts it.
  const broker = new KafkaBroker();
  let bus: KafkaEventBus;

  beforeAll(async () => {
    await broker.start();
    bus = new KafkaEventBus({
      brokers: [broker.brokers],
      clientId: "spool-test",
      logger: quietLogger,
      maxWaitTimeMs: 200,
      publishTimeoutMs: 4000,
    });
  });

  afterAll(async () => {
    await bus?.close();
    await broker.destroy();
  });

  it("keeps accepting while the broker is down, spools, and delivers every event once it is back", async () => {
    const topic = uniqueName("requests");
    await bus.ensureTopics([{ name: topic, partitions: 3 }]);
    const spoolDir = await tempDir("spool");
    const publisher = await SpoolingPublisher.start({
      bus,
      spoolDir: spoolDir.path,
      logger: quietLogger,
      maxBatchRecords: 100,
      lingerMs: 5,
      replayBackoff: { initialMs: 100, maxMs: 1000 },
    });
    let id = 0;
    const enqueue = (n: number) => {
      for (let i = 0; i < n; i += 1) publisher.enqueue(topic, event(id++));
    };

    enqueue(200);
    await waitFor("200 published while healthy", () => publisher.stats().published === 200);

    await broker.stop();
    const started = performance.now();
    enqueue(300);
    expect(performance.now() - started).toBeLessThan(100); // enqueue never waits for the broker
    await waitFor("the outage batch on disk", () => {
      const s = publisher.stats();
      return s.queueDepth === 0 && s.spooledRecords === 300;
    });
    expect(publisher.stats()).toMatchObject({ published: 200, degraded: true, lost: 0 });
    enqueue(50); // still accepted, straight behind the spooled ones
    await waitFor("the late batch on disk", () => publisher.stats().spooledRecords === 350);

    await broker.start();
    enqueue(50);
    await waitFor("every event acknowledged", () => publisher.stats().published === 600, 30_000);
    await waitFor("spool drained", () => publisher.stats().spooledRecords === 0 && !publisher.stats().degraded);
    expect(await readdir(spoolDir.path)).toEqual([]);
    await publisher.close();

    const ids = await distinctIds(bus, topic, 600);
    expect(ids.size).toBe(600);
    expect(Math.max(...ids)).toBe(599);
    await spoolDir.remove();
  });
});

describe("SpoolingPublisher spool semantics", () => {
  it("close() spools what the bus refused; the next start replays it and deletes the files", async () => {
    const spoolDir = await tempDir("spool-restart");
    const logDir = await tempDir("spool-restart-log");
    // A broker address nobody listens on: every publish fails fast.
    const down = new KafkaEventBus({ brokers: ["127.0.0.1:9"], clientId: "down", logger: quietLogger });
    const first = await SpoolingPublisher.start({ bus: down, spoolDir: spoolDir.path, logger: quietLogger });
    for (let i = 0; i < 120; i += 1) first.enqueue(TOPIC, event(i));
    await first.close();
    await down.close();
    expect(first.stats()).toMatchObject({ queueDepth: 0, spooledRecords: 120, published: 0, lost: 0 });
    expect((await readdir(spoolDir.path)).length).toBeGreaterThan(0);

    const embedded = await EmbeddedEventBus.open({ dataDir: logDir.path, logger: quietLogger });
    await embedded.ensureTopics([{ name: TOPIC, partitions: 2 }]);
    const second = await SpoolingPublisher.start({ bus: embedded, spoolDir: spoolDir.path, logger: quietLogger });
    await waitFor("the leftover spool replayed", () => second.stats().published === 120);
    await waitFor("spool files deleted", async () => (await readdir(spoolDir.path)).length === 0);
    expect((await distinctIds(embedded, TOPIC, 120)).size).toBe(120);
    await second.close();
    await embedded.close();
    await Promise.all([spoolDir.remove(), logDir.remove()]);
  });

  it("spills to disk instead of dropping or blocking when the in-memory queue is full", async () => {
    const spoolDir = await tempDir("spool-full");
    const logDir = await tempDir("spool-full-log");
    const embedded = await EmbeddedEventBus.open({ dataDir: logDir.path, logger: quietLogger });
    await embedded.ensureTopics([{ name: TOPIC, partitions: 2 }]);
    const publisher = await SpoolingPublisher.start({
      bus: embedded,
      spoolDir: spoolDir.path,
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
    await publisher.close();
    await embedded.close();
    await Promise.all([spoolDir.remove(), logDir.remove()]);
  });
});
