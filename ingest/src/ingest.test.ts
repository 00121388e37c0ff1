import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { encodeEvent, FeedbackEvent, newEventId, RequestEvent, Topics } from "@switchyard/events";
import {
  type BusMessage,
  createLogger,
  EmbeddedEventBus,
  type EventBus,
  type OutgoingRecord,
  runMigrations,
} from "@switchyard/platform";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DeadLetterHeaders } from "./consumer/dead-letters.ts";
import { type Ingest, startIngest } from "./ingest.ts";
import { replayFromLog } from "./replay-from-log.ts";
import {
  makeRequestEvent,
  openTestClickHouse,
  pollUntil,
  type TestClickHouse,
  waitForCaughtUp,
} from "./testing/index.ts";

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent", name: "ingest-test" });
const TOPICS = [Topics.requests, Topics.feedback];
const PARTITIONS = 3;

const requestRecord = (event: RequestEvent): OutgoingRecord => ({
  key: event.trace_id,
  value: encodeEvent(RequestEvent, event),
});

async function totals(client: ClickHouseClient) {
  const result = await client.query({
    query: `SELECT count() AS n, uniqExact(event_id) AS ids, sum(cost_nano_usd) AS cost FROM requests`,
    format: "JSONEachRow",
  });
  const [row] = await result.json<{ n: number; ids: number; cost: number }>();
  return { rows: Number(row?.n), ids: Number(row?.ids), cost: Number(row?.cost) };
}

/** The rollup as the analytics API reads it, forced through the projection. */
async function rollupTotals(client: ClickHouseClient) {
  const result = await client.query({
    query: `SELECT count() AS n, sum(cost_nano_usd) AS cost FROM requests
      WHERE toStartOfHour(occurred_at) >= '2000-01-01 00:00:00' GROUP BY tenant_id
      SETTINGS force_optimize_projection = 1`,
    format: "JSONEachRow",
  });
  const rows = await result.json<{ n: number; cost: number }>();
  return rows.reduce((acc, r) => ({ rows: acc.rows + Number(r.n), cost: acc.cost + Number(r.cost) }), {
    rows: 0,
    cost: 0,
  });
}

async function readDeadLetters(bus: EventBus, expected: number): Promise<BusMessage[]> {
  const seen: BusMessage[] = [];
  const subscription = await bus.subscribe({
    groupId: `dlq-reader-${newEventId()}`,
    topics: [Topics.deadLetters],
    fromBeginning: true,
    handleBatch: async (batch) => {
      seen.push(...batch.messages);
    },
  });
  await pollUntil(() => (seen.length >= expected ? true : undefined), `${expected} dead letters`);
  await subscription.stop();
  return seen;
}

describe("startIngest over the embedded log", () => {
  let db: TestClickHouse;
  let client: ClickHouseClient;
  let logDir: string;
  let bus: EmbeddedEventBus;
  const running: Ingest[] = [];

  const start = async (groupId = "ingest") => {
    const ingest = await startIngest({
      bus,
      clickhouse: db.clickhouse,
      logger,
      config: { groupId, flushIntervalMs: 5, batchMaxRows: 50, topicPartitions: PARTITIONS },
    });
    running.push(ingest);
    return ingest;
  };

  beforeAll(async () => {
    db = await openTestClickHouse();
    client = db.clickhouse.client;
    await runMigrations(client);
  });
  beforeEach(async () => {
    await client.command({ query: "TRUNCATE TABLE requests" });
    await client.command({ query: "TRUNCATE TABLE feedback" });
    logDir = await mkdtemp(join(tmpdir(), "switchyard-ingest-log-"));
    bus = await EmbeddedEventBus.open({
      dataDir: logDir,
      logger,
      retryBackoff: { initialMs: 5, maxMs: 50 },
      pollIntervalMs: 50,
    });
    await bus.ensureTopics([...TOPICS, Topics.deadLetters].map((name) => ({ name, partitions: PARTITIONS })));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((i) => i.stop()));
    await bus.close();
    await rm(logDir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("stores requests and feedback, and dead-letters poison with its source coordinates", async () => {
    const events = Array.from({ length: 40 }, (_, i) => makeRequestEvent({ cost_nano_usd: 100 + i }));
    const feedback: FeedbackEvent = {
      event_id: newEventId(),
      schema_version: 1,
      occurred_at: "2025-06-01T10:20:00.000Z",
      tenant_id: "acme",
      trace_id: events[0]!.trace_id,
      value: 1,
      weight: 0.5,
      metadata: { reviewer: "qa" },
    };
    const badJson = { key: "poison-1", value: Buffer.from("{not json"), headers: { origin: "test" } };
    const missingFields = { key: "poison-2", value: Buffer.from(JSON.stringify({ event_id: "x" })) };
    const unstorable = requestRecord(makeRequestEvent({ occurred_at: "1850-01-01T00:00:00.000Z" }));
    await bus.publish(Topics.requests, [...events.slice(0, 20).map(requestRecord), badJson, missingFields, unstorable]);
    await bus.publish(Topics.requests, events.slice(20).map(requestRecord));
    await bus.publish(Topics.feedback, [{ key: feedback.trace_id, value: encodeEvent(FeedbackEvent, feedback) }]);

    const ingest = await start();
    await waitForCaughtUp(bus, "ingest", TOPICS);

    expect(await totals(client)).toEqual({ rows: 40, ids: 40, cost: events.reduce((s, e) => s + e.cost_nano_usd, 0) });
    const stored = await (
      await client.query({ query: "SELECT trace_id, value, weight, metadata FROM feedback", format: "JSONEachRow" })
    ).json();
    expect(stored).toEqual([{ trace_id: feedback.trace_id, value: 1, weight: 0.5, metadata: { reviewer: "qa" } }]);

    const letters = await readDeadLetters(bus, 3);
    expect(letters).toHaveLength(3);
    const reasons = letters.map((m) => m.headers[DeadLetterHeaders.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^invalid JSON/),
        expect.stringMatching(/^schema violation/),
        expect.stringMatching(/^unstorable event: occurred_at/),
      ]),
    );
    const json = letters.find((m) => m.key === "poison-1")!;
    expect(json.value?.toString()).toBe("{not json");
    expect(json.headers).toMatchObject({
      origin: "test",
      [DeadLetterHeaders.sourceTopic]: Topics.requests,
      [DeadLetterHeaders.consumerGroup]: "ingest",
    });
    expect(Number(json.headers[DeadLetterHeaders.sourcePartition])).toBeGreaterThanOrEqual(0);
    expect(json.headers[DeadLetterHeaders.sourceOffset]).toMatch(/^\d+$/);
    expect(ingest.stats().consumer.deadLetters).toBe(3);
  });

  it("absorbs redelivered offsets and producer duplicates without double counting the rollup", async () => {
    const events = Array.from({ length: 30 }, (_, i) =>
      makeRequestEvent({ cost_nano_usd: 1_000 * (i + 1), user: `u${i % 4}` }),
    );
    await bus.publish(Topics.requests, events.map(requestRecord));
    const first = await start("ingest");
    await waitForCaughtUp(bus, "ingest", TOPICS);
    const expected = { rows: 30, ids: 30, cost: 465_000 };
    expect(await totals(client)).toEqual(expected);

    // Every offset again: a new group reads the whole log, as a consumer restarting without commits would.
    await first.stop();
    const second = await start("ingest-again");
    await waitForCaughtUp(bus, "ingest-again", TOPICS);
    expect(second.stats().requests).toMatchObject({ rowsWritten: 0, duplicatesSkipped: 30 });

    // The same events at new offsets: a gateway spool replayed after a broker outage.
    await bus.publish(Topics.requests, events.slice(0, 10).map(requestRecord));
    await waitForCaughtUp(bus, "ingest-again", TOPICS);
    expect(second.stats().requests.duplicatesSkipped).toBe(40);

    expect(await totals(client)).toEqual(expected);
    expect(await rollupTotals(client)).toEqual({ rows: 30, cost: 465_000 });
  });

  it("does not commit offsets while ClickHouse rejects the insert, then stores each row once", async () => {
    const ingest = await start();
    await client.command({ query: "RENAME TABLE requests TO requests_offline" });
    try {
      await bus.publish(
        Topics.requests,
        Array.from({ length: 5 }, () => requestRecord(makeRequestEvent())),
      );
      await pollUntil(() => (ingest.stats().requests.failedFlushes >= 2 ? true : undefined), "failed flushes");
      const committed = await bus.committedOffsets("ingest", Topics.requests);
      const ends = await bus.endOffsets(Topics.requests);
      const behind = [...ends].some(([p, end]) => BigInt(committed.get(p) ?? "0") < BigInt(end));
      expect(behind).toBe(true);
    } finally {
      await client.command({ query: "RENAME TABLE requests_offline TO requests" });
    }
    await waitForCaughtUp(bus, "ingest", TOPICS);
    expect((await totals(client)).rows).toBe(5);
  });

  it("does not commit a poison message's offset until its dead letter is durable", async () => {
    let dlqFailures = 2;
    // The real bus, except that the first DLQ publishes fail as if the broker were unreachable.
    const flakyBus: EventBus = {
      kind: bus.kind,
      ensureTopics: (topics) => bus.ensureTopics(topics),
      subscribe: (options) => bus.subscribe(options),
      committedOffsets: (groupId, topic) => bus.committedOffsets(groupId, topic),
      endOffsets: (topic) => bus.endOffsets(topic),
      close: () => bus.close(),
      publish: async (topic, records) => {
        if (topic === Topics.deadLetters && dlqFailures-- > 0) throw new Error("broker unreachable");
        return bus.publish(topic, records);
      },
    };
    await bus.publish(Topics.requests, [{ key: "k", value: Buffer.from("nope") }, requestRecord(makeRequestEvent())]);
    const ingest = await startIngest({
      bus: flakyBus,
      clickhouse: db.clickhouse,
      logger,
      config: { groupId: "ingest", flushIntervalMs: 5 },
    });
    running.push(ingest);
    await waitForCaughtUp(bus, "ingest", TOPICS);
    expect(dlqFailures).toBeLessThan(0);
    expect(await readDeadLetters(bus, 1)).toHaveLength(1);
    expect((await totals(client)).rows).toBe(1);
  });

  it("replay rebuilds the tables from the log without re-publishing dead letters", async () => {
    const events = Array.from({ length: 12 }, (_, i) => makeRequestEvent({ cost_nano_usd: 10 * (i + 1) }));
    await bus.publish(Topics.requests, [...events.map(requestRecord), { key: "p", value: Buffer.from("[]") }]);
    const live = await start();
    await waitForCaughtUp(bus, "ingest", TOPICS);
    await live.stop();
    const before = await totals(client);

    await client.command({ query: "TRUNCATE TABLE requests" }); // state lost, e.g. a rebuilt ClickHouse
    const { groupId, stats } = await replayFromLog({
      bus,
      clickhouse: db.clickhouse,
      logger,
      config: { flushIntervalMs: 5 },
      pollIntervalMs: 10,
    });
    expect(groupId).toMatch(/^switchyard-ingest-replay-/);
    expect(stats.requests.rowsWritten).toBe(12);
    expect(await totals(client)).toEqual(before);
    const deadLetters = [...(await bus.endOffsets(Topics.deadLetters)).values()].reduce((s, o) => s + Number(o), 0);
    expect(deadLetters).toBe(1);
  });
});
