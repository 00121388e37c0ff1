import type { ClickHouseClient } from "@clickhouse/client";
import { encodeEvent, newEventId, RequestEvent, Topics } from "@switchyard/events";
import { type BusMessage, createLogger, KafkaEventBus, type OutgoingRecord, runMigrations } from "@switchyard/platform";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DeadLetterHeaders } from "./consumer/dead-letters.ts";
import { startIngest } from "./ingest.ts";
import {
  makeRequestEvent,
  openTestClickHouse,
  pollUntil,
  type TestClickHouse,
  waitForCaughtUp,
} from "./testing/index.ts";

/**
 * The same ingest over the real Kafka broker of the test run. The topics are the production names and
 * may carry other suites' events, so this suite only looks at its own tenant and dead-letter keys.
 */
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent", name: "ingest-kafka-test" });
const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const tenant = `tenant-${suffix}`;

async function tenantTotals(client: ClickHouseClient) {
  const result = await client.query({
    query: `SELECT count() AS n, uniqExact(event_id) AS ids, sum(cost_nano_usd) AS cost FROM requests
      WHERE tenant_id = {tenant:String}`,
    query_params: { tenant },
    format: "JSONEachRow",
  });
  const [row] = await result.json<{ n: number; ids: number; cost: number }>();
  return { rows: Number(row?.n), ids: Number(row?.ids), cost: Number(row?.cost) };
}

describe("startIngest over Kafka", () => {
  let db: TestClickHouse;
  let bus: KafkaEventBus;

  beforeAll(async () => {
    db = await openTestClickHouse();
    await runMigrations(db.clickhouse.client);
    bus = new KafkaEventBus({
      brokers: inject("kafkaBrokers").split(","),
      clientId: "ingest-test",
      logger,
      retryBackoff: { initialMs: 20, maxMs: 200 },
      maxWaitTimeMs: 200,
    });
  });
  afterAll(async () => {
    await bus?.close();
    await db?.dispose();
  });

  it("stores each event once across redelivery and producer duplicates, dead-lettering poison", async () => {
    const events = Array.from({ length: 25 }, (_, i) => makeRequestEvent({ tenant_id: tenant, cost_nano_usd: 10 + i }));
    const record = (e: RequestEvent): OutgoingRecord => ({ key: e.trace_id, value: encodeEvent(RequestEvent, e) });
    const poisonKey = `poison-${suffix}`;
    const config = { flushIntervalMs: 5, topicPartitions: 3 };

    const first = await startIngest({
      bus,
      clickhouse: db.clickhouse,
      logger,
      config: { ...config, groupId: `g1-${suffix}` },
    });
    await bus.publish(Topics.requests, [...events.map(record), { key: poisonKey, value: Buffer.from("{oops") }]);
    await bus.publish(Topics.requests, events.slice(0, 5).map(record)); // a spool replayed after an outage
    const expected = { rows: 25, ids: 25, cost: events.reduce((s, e) => s + e.cost_nano_usd, 0) };
    await pollUntil(
      async () => ((await tenantTotals(db.clickhouse.client)).rows >= 25 ? true : undefined),
      "25 rows",
      60_000,
    );
    await waitForCaughtUp(bus, `g1-${suffix}`, [Topics.requests], 60_000);
    await first.stop();
    expect(await tenantTotals(db.clickhouse.client)).toEqual(expected);

    // A second group re-reads the whole topic: every one of these offsets is delivered again.
    const second = await startIngest({
      bus,
      clickhouse: db.clickhouse,
      logger,
      config: { ...config, groupId: `g2-${suffix}` },
    });
    await waitForCaughtUp(bus, `g2-${suffix}`, [Topics.requests], 60_000);
    await second.stop();
    expect(second.stats().requests.duplicatesSkipped).toBeGreaterThanOrEqual(30);
    expect(await tenantTotals(db.clickhouse.client)).toEqual(expected);

    const letters: BusMessage[] = [];
    const reader = await bus.subscribe({
      groupId: `dlq-${newEventId()}`,
      topics: [Topics.deadLetters],
      fromBeginning: true,
      handleBatch: async (batch) => {
        letters.push(...batch.messages.filter((m) => m.key === poisonKey));
      },
    });
    // Both groups met the poison message, so each published a letter for it.
    await pollUntil(() => (letters.length >= 2 ? true : undefined), "dead letters", 60_000);
    await reader.stop();
    expect(letters.map((m) => m.headers[DeadLetterHeaders.consumerGroup]).sort()).toEqual([
      `g1-${suffix}`,
      `g2-${suffix}`,
    ]);
    expect(letters[0]?.headers[DeadLetterHeaders.reason]).toMatch(/^invalid JSON/);
    expect(letters[0]?.value?.toString()).toBe("{oops");
  });
});
