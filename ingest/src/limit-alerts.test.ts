import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeEvent, LimitAlertEvent, newEventId, Topics } from "@switchyard/events";
import { createLogger, EmbeddedEventBus, runMigrations } from "@switchyard/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIngest } from "./ingest.ts";
import { openTestClickHouse, type TestClickHouse, waitForCaughtUp } from "./testing/index.ts";

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent", name: "limit-alerts-test" });

const alert = (over: Partial<LimitAlertEvent> = {}): LimitAlertEvent => ({
  event_id: newEventId(),
  schema_version: 1,
  occurred_at: "2026-12-07T10:00:00.000Z",
  gateway_instance: "gw-1",
  tenant_id: "acme",
  limit_id: "vk_1.usage",
  policy_id: "lp-vk_1",
  metric: "cost",
  credit_limit: 100,
  alert_threshold: 80,
  spend: 81.5,
  period_start: "2026-12-01T00:00:00.000Z",
  period_end: "2027-01-01T00:00:00.000Z",
  ...over,
});

describe("limit alerts (llm.limit-alerts.v1) are projected into limit_alerts", () => {
  let db: TestClickHouse;
  let logDir: string;

  beforeAll(async () => {
    db = await openTestClickHouse();
    await runMigrations(db.clickhouse.client);
    logDir = await mkdtemp(join(tmpdir(), "switchyard-limit-alerts-"));
  });
  afterAll(async () => {
    await db?.dispose();
    await rm(logDir, { recursive: true, force: true });
  });

  it("stores each alert once, a redelivered or re-published one included, and dead-letters a bad one", async () => {
    const bus = await EmbeddedEventBus.open({ dataDir: logDir, logger, pollIntervalMs: 50 });
    const first = alert();
    const never = alert({ tenant_id: "other", metric: "tokens", period_end: null, spend: 9_000 });
    const record = (a: LimitAlertEvent) => ({ key: a.tenant_id, value: encodeEvent(LimitAlertEvent, a) });
    await bus.ensureTopics([Topics.limitAlerts].map((name) => ({ name, partitions: 1 })));
    // The same alert twice (a producer retry) and a value that is not an alert at all.
    await bus.publish(Topics.limitAlerts, [record(first), record(first), record(never)]);
    await bus.publish(Topics.limitAlerts, [{ key: "x", value: Buffer.from(JSON.stringify({ limit_id: "x" })) }]);
    const ingest = await startIngest({
      bus,
      clickhouse: db.clickhouse,
      logger,
      config: { groupId: "ingest", flushIntervalMs: 5, topicPartitions: 1 },
    });
    try {
      await waitForCaughtUp(bus, "ingest", [Topics.limitAlerts]);
      const result = await db.clickhouse.client.query({
        query: `SELECT tenant_id, limit_id, metric, credit_limit, alert_threshold, spend,
            toString(period_start) AS period_start, period_end
          FROM limit_alerts ORDER BY tenant_id`,
        format: "JSONEachRow",
      });
      expect(await result.json()).toEqual([
        {
          tenant_id: "acme",
          limit_id: "vk_1.usage",
          metric: "cost",
          credit_limit: 100,
          alert_threshold: 80,
          spend: 81.5,
          period_start: "2026-12-01 00:00:00.000",
          period_end: "2027-01-01 00:00:00.000",
        },
        {
          tenant_id: "other",
          limit_id: "vk_1.usage",
          metric: "tokens",
          credit_limit: 100,
          alert_threshold: 80,
          spend: 9_000,
          period_start: "2026-12-01 00:00:00.000",
          period_end: null,
        },
      ]);
      expect(ingest.stats().consumer.deadLetters).toBe(1);
      expect(ingest.stats().limitAlerts).toMatchObject({ rowsWritten: 2, duplicatesSkipped: 1 });
    } finally {
      await ingest.stop();
      await bus.close();
    }
  });
});
