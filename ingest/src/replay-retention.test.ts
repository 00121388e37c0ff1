import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeEvent, RequestEvent, Topics } from "@switchyard/events";
import { createLogger, EmbeddedEventBus, runMigrations } from "@switchyard/platform";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startIngest } from "./ingest.ts";
import { PartialLogError, replayFromLog } from "./replay-from-log.ts";
import { makeRequestEvent, openTestClickHouse, type TestClickHouse, waitForCaughtUp } from "./testing/index.ts";

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent", name: "replay-retention-test" });
const TOPICS = [Topics.requests, Topics.feedback];
// Every read segment may go at once: the age limit is 0.
const retention = {
  maxAgeMs: 0,
  maxBytes: null,
  groupExpiryMs: 3_600_000,
  checkIntervalMs: 3_600_000,
  compactMinRecords: 1000,
};

describe("replay after retention deleted the log's head", () => {
  let db: TestClickHouse;
  let dirs: string[] = [];
  let bus: EmbeddedEventBus;
  let logDir: string;

  const requestCount = async () => {
    const result = await db.clickhouse.client.query({
      query: "SELECT count() AS n FROM requests",
      format: "JSONEachRow",
    });
    return Number((await result.json<{ n: number }>())[0]?.n);
  };
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "switchyard-replay-retention-"));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    db = await openTestClickHouse();
    await runMigrations(db.clickhouse.client);
  });
  beforeEach(async () => {
    await db.clickhouse.client.command({ query: "TRUNCATE TABLE requests" });
    logDir = await tempDir();
    bus = await EmbeddedEventBus.open({ dataDir: logDir, logger, segmentBytes: 8192, retention });
    await bus.ensureTopics([...TOPICS, Topics.deadLetters].map((name) => ({ name, partitions: 1 })));
  });
  afterEach(async () => {
    await bus.close();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    dirs = [];
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("refuses to truncate, rebuilds only the retained events when told to, and everything from an archive", async () => {
    const events = Array.from({ length: 80 }, () => makeRequestEvent());
    await bus.publish(
      Topics.requests,
      events.map((e) => ({ key: e.trace_id, value: encodeEvent(RequestEvent, e) })),
    );
    const ingest = await startIngest({ bus, clickhouse: db.clickhouse, logger, config: { flushIntervalMs: 5 } });
    await waitForCaughtUp(bus, "switchyard-ingest", TOPICS);
    await ingest.stop();
    // The operator's archive: a copy of the sealed segments, taken before retention runs.
    const archive = await tempDir();
    await cp(logDir, archive, { recursive: true });
    expect((await bus.enforceRetention()).deletedSegments).toBeGreaterThan(0);
    const start = Number((await bus.startOffsets(Topics.requests)).get(0));
    expect(start).toBeGreaterThan(0);
    expect(await requestCount()).toBe(80);

    await expect(replayFromLog({ bus, clickhouse: db.clickhouse, logger, pollIntervalMs: 10 })).rejects.toThrow(
      PartialLogError,
    );
    expect(await requestCount()).toBe(80);

    const partial = await replayFromLog({
      bus,
      clickhouse: db.clickhouse,
      logger,
      pollIntervalMs: 10,
      retainedOnly: true,
    });
    expect(partial.stats.requests.rowsWritten).toBe(80 - start);
    expect(await requestCount()).toBe(80 - start);

    const archived = await EmbeddedEventBus.open({ dataDir: archive, logger, access: "read-only" });
    try {
      await replayFromLog({ bus: archived, clickhouse: db.clickhouse, logger, pollIntervalMs: 10 });
    } finally {
      await archived.close();
    }
    expect(await requestCount()).toBe(80);
  });
});
