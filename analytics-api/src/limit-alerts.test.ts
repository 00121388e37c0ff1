import { runMigrations } from "@switchyard/platform";
import { openTestClickHouse, type TestClickHouse } from "@switchyard/platform/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAnalyticsApp } from "./app.ts";
import { silentLogger, TEST_KEYS, testKeyStore } from "./test-support.ts";

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe("GET /v1/analytics/limit-alerts", () => {
  let db: TestClickHouse;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await openTestClickHouse();
    await runMigrations(db.clickhouse.client);
    // Rows as ingest writes them from llm.limit-alerts.v1 (ingest/src/limit-alerts.test.ts covers that path).
    await db.clickhouse.client.insert({
      table: "limit_alerts",
      format: "JSONEachRow",
      values: [
        ["acme", "2026-12-07 10:00:00.000", 81.5, "2027-01-01 00:00:00.000"],
        ["acme", "2026-12-07 12:00:00.000", 900, null],
        ["globex", "2026-12-07 11:00:00.000", 42, "2026-12-08 00:00:00.000"],
      ].map(([tenant, at, spend, end], i) => ({
        event_id: `0193a5b2-0000-7000-8000-00000000000${i}`,
        schema_version: 1,
        occurred_at: at,
        gateway_instance: "gw",
        tenant_id: tenant,
        limit_id: `${tenant}.budget-${i}`,
        policy_id: `lp-${i}`,
        metric: end === null ? "tokens" : "cost",
        credit_limit: 1000,
        alert_threshold: 80,
        spend,
        period_start: "2026-12-01 00:00:00.000",
        period_end: end,
        source_topic: "llm.limit-alerts.v1",
        source_partition: 0,
        source_offset: i,
      })),
    });
    app = buildAnalyticsApp({
      clickhouse: db.clickhouse,
      keyStore: testKeyStore(),
      logger: silentLogger(),
      now: () => new Date("2026-12-07T18:00:00Z"),
    });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const get = (key: string, query = "") =>
    app.inject({ method: "GET", url: `/v1/analytics/limit-alerts${query}`, headers: bearer(key) });

  it("lists a tenant's own alerts newest first, never another tenant's", async () => {
    const response = await get(TEST_KEYS.acme);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.alerts.map((a: { limit_id: string }) => a.limit_id)).toEqual(["acme.budget-1", "acme.budget-0"]);
    expect(body.alerts[0]).toMatchObject({ metric: "tokens", spend: 900, period_end: null });
    expect(body.alerts[1]).toMatchObject({
      occurred_at: "2026-12-07T10:00:00.000Z",
      period_end: "2027-01-01T00:00:00.000Z",
      credit_limit: 1000,
      alert_threshold: 80,
    });
    expect((await get(TEST_KEYS.acme, "?tenant_id=globex")).statusCode).toBe(403);
  });

  it("lets an admin key see every tenant, or the ones it names, within the window", async () => {
    expect((await get(TEST_KEYS.admin)).json().alerts).toHaveLength(3);
    expect((await get(TEST_KEYS.admin, "?tenant_id=globex")).json().alerts).toHaveLength(1);
    const morning = await get(TEST_KEYS.admin, "?from=2026-12-07T09:00:00Z&to=2026-12-07T11:30:00Z");
    expect(morning.json().alerts.map((a: { tenant_id: string }) => a.tenant_id)).toEqual(["globex", "acme"]);
  });

  it("answers a bad window with a 400 naming the parameter", async () => {
    const response = await get(TEST_KEYS.admin, "?from=yesterday");
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe("from");
  });
});
