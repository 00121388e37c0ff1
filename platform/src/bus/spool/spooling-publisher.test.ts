import { readdir } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { distinctIds, numberedEvent, TestCleanups } from "../../testing/spool-harness.ts";
import { EmbeddedEventBus } from "../embedded/embedded-event-bus.ts";
import { KafkaEventBus } from "../kafka/kafka-event-bus.ts";
import { quietLogger, waitFor } from "../test-support.ts";

const TOPIC = "llm.requests.v1";
const cleanups = new TestCleanups();
afterEach(() => cleanups.undoAll());

async function openEmbedded(dataDir: string): Promise<EmbeddedEventBus> {
  const bus = await EmbeddedEventBus.open({ dataDir, logger: quietLogger });
  cleanups.add(() => bus.close());
  await bus.ensureTopics([{ name: TOPIC, partitions: 2 }]);
  return bus;
}

describe("SpoolingPublisher spool semantics", () => {
  it("close() spools what the bus refused; the next start replays it and deletes the files", async () => {
    const spoolDir = await cleanups.scratchDir("spool-restart");
    // A broker address nobody listens on: every publish fails fast.
    const down = new KafkaEventBus({ brokers: ["127.0.0.1:9"], clientId: "down", logger: quietLogger });
    cleanups.add(() => down.close());
    const first = await cleanups.startPublisher({ bus: down, spoolDir, logger: quietLogger });
    for (let i = 0; i < 120; i += 1) first.enqueue(TOPIC, numberedEvent(i));
    await first.close();
    await down.close();
    expect(first.stats()).toMatchObject({ queueDepth: 0, spooledRecords: 120, published: 0, lost: 0 });
    expect((await readdir(spoolDir)).length).toBeGreaterThan(0);

    const embedded = await openEmbedded(await cleanups.scratchDir("spool-restart-log"));
    const second = await cleanups.startPublisher({ bus: embedded, spoolDir, logger: quietLogger });
    await waitFor("the leftover spool replayed", () => second.stats().published === 120);
    await waitFor("spool files deleted", async () => (await readdir(spoolDir)).length === 0);
    expect((await distinctIds(embedded, TOPIC, 120)).size).toBe(120);
  });

  it("spills to disk instead of dropping or blocking when the in-memory queue is full", async () => {
    const embedded = await openEmbedded(await cleanups.scratchDir("spool-full-log"));
    const publisher = await cleanups.startPublisher({
      bus: embedded,
      spoolDir: await cleanups.scratchDir("spool-full"),
      logger: quietLogger,
      maxQueueRecords: 50,
      maxBatchRecords: 20,
      replayBackoff: { initialMs: 10, maxMs: 50 },
    });
    const started = performance.now();
    for (let i = 0; i < 2000; i += 1) publisher.enqueue(TOPIC, numberedEvent(i));
    expect(performance.now() - started).toBeLessThan(200);
    await waitFor("all 2000 acknowledged", () => publisher.stats().published === 2000);
    expect(publisher.stats().spilled).toBeGreaterThan(0);
    await waitFor("memory drained", () => publisher.stats().queueDepth === 0);
    expect(publisher.stats()).toMatchObject({ lost: 0, spooledRecords: 0 });
    expect((await distinctIds(embedded, TOPIC, 2000)).size).toBe(2000);
  });

  it("enqueue() resolves once the record is durable: written to the log when the bus takes it, spooled when not", async () => {
    const embedded = await openEmbedded(await cleanups.scratchDir("spool-durable-log"));
    const publisher = await cleanups.startPublisher({
      bus: embedded,
      spoolDir: await cleanups.scratchDir("spool-durable"),
      logger: quietLogger,
    });
    await Promise.all([publisher.enqueue(TOPIC, numberedEvent(1)), publisher.enqueue(TOPIC, numberedEvent(2))]);
    expect(publisher.stats()).toMatchObject({ published: 2, queueDepth: 0 });
    // Written (a SIGKILL keeps them); consumers see them once the round's fsync is done.
    const visible = async () => [...(await embedded.endOffsets(TOPIC)).values()].reduce((sum, e) => sum + Number(e), 0);
    await waitFor("both records visible after their fsync", async () => (await visible()) === 2);

    const spoolDir = await cleanups.scratchDir("spool-durable-down");
    const down = new KafkaEventBus({ brokers: ["127.0.0.1:9"], clientId: "down", logger: quietLogger });
    cleanups.add(() => down.close());
    const degraded = await cleanups.startPublisher({ bus: down, spoolDir, logger: quietLogger });
    await degraded.enqueue(TOPIC, numberedEvent(3));
    expect(degraded.stats()).toMatchObject({ spilled: 1, spooledRecords: 1, lost: 0 });
    expect((await readdir(spoolDir)).length).toBe(1);
  });
});
