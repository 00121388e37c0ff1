import { readdir } from "node:fs/promises";
import { createLogger, KafkaEventBus, type Logger } from "@switchyard/platform";
import { distinctIds, numberedEvent, TestCleanups } from "@switchyard/platform/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KafkaBroker } from "../kafka/broker.ts";
import { pollUntil } from "./support.ts";

/**
 * The SpoolingPublisher (platform/src/bus/spool) through a real broker outage. It lives here rather
 * than beside the publisher because it stops and restarts a broker of its own, and the Kafka harness
 * is this package's; the spool semantics that need no broker are tested in platform.
 */

const quietLogger: Logger = createLogger({ level: process.env.BUS_TEST_LOG_LEVEL ?? "silent", name: "bus-test" });
/** A unique name per test so suites sharing one broker never see each other's records. */
const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const waitFor = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) =>
  pollUntil(async () => ((await check()) ? true : undefined), what, timeoutMs);

const cleanups = new TestCleanups();
afterEach(() => cleanups.undoAll());

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
    const spoolDir = await cleanups.scratchDir("spool");
    const publisher = await cleanups.startPublisher({
      bus,
      spoolDir,
      logger: quietLogger,
      maxBatchRecords: 100,
      lingerMs: 5,
      replayBackoff: { initialMs: 100, maxMs: 1000 },
    });
    let id = 0;
    const enqueue = (n: number) => {
      for (let i = 0; i < n; i += 1) publisher.enqueue(topic, numberedEvent(id++));
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
    expect(await readdir(spoolDir)).toEqual([]);
    await publisher.close();

    const ids = await distinctIds(bus, topic, 600);
    expect(ids.size).toBe(600);
    expect(Math.max(...ids)).toBe(599);
  });
});
