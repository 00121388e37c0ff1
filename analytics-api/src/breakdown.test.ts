import type { TestClickHouse } from "@switchyard/platform/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dimension } from "./breakdown/dimensions.ts";
import { DEFAULT_METRICS } from "./breakdown/metrics.ts";
import { planQuery } from "./breakdown/query-plan.ts";
import { BREAKDOWN_EVENTS as events } from "./breakdown-events.fixture.ts";
import {
  type BreakdownQuery,
  foldedGroupsQuery,
  otherGroupsQuery,
  seriesQuery,
  topGroupsQuery,
} from "./repositories/breakdown-repository.ts";
import { analyticsOver, TEST_KEYS } from "./test-support.ts";

const NOW = new Date("2025-06-03T00:00:00.000Z");
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const WINDOW = "from=2025-06-01T00:00:00Z&to=2025-06-03T00:00:00Z";

describe("breakdown API", () => {
  let db: TestClickHouse;
  let app: FastifyInstance;

  beforeAll(async () => {
    ({ db, app } = await analyticsOver(events, NOW));
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const get = async (url: string, key: string = TEST_KEYS.acme) => {
    const response = await app.inject({ method: "GET", url, headers: bearer(key) });
    return { status: response.statusCode, body: response.json() };
  };

  it("groups by model with every metric, sorted by the chosen one, from the daily rollup over whole days", async () => {
    const { status, body } = await get(`/v1/analytics/breakdown?${WINDOW}&group_by=model&sort=cost_usd`);
    expect(status).toBe(200);
    expect(body.source).toBe("rollup_daily");
    const hourly = await get(
      `/v1/analytics/breakdown?${WINDOW.replace("T00:00:00Z&to", "T01:00:00Z&to")}&group_by=model`,
    );
    expect(hourly.body).toMatchObject({ source: "rollup_hourly", from: "2025-06-01T01:00:00.000Z" });
    expect(body.data.map((r: { key: string }) => r.key)).toEqual(["gpt-4o", "claude-sonnet-4", "gpt-4o-mini"]);
    const gpt = body.data[0];
    expect(gpt).toMatchObject({
      requests: 10,
      errors: 0,
      error_rate: 0,
      cost_nano_usd: 10_000,
      cost_usd: 0.00001,
      cost_saved_usd: 0.0000014,
      cache_hits: 2,
      cache_hit_rate: 0.2,
      rescued: 1,
      latency_avg_ms: 550,
      input_tokens: 1000,
    });
    expect(gpt.latency_p50_ms).toBeGreaterThanOrEqual(500);
    expect(gpt.latency_p50_ms).toBeLessThanOrEqual(600);
    expect(gpt.latency_p99_ms).toBeGreaterThanOrEqual(900);
    expect(gpt.ttft_p50_ms).toBeGreaterThan(0);
    const claude = body.data[1];
    expect(claude).toMatchObject({ requests: 3, errors: 1, ttft_p50_ms: null });
    expect(claude.error_rate).toBeCloseTo(1 / 3);
  });

  it("keeps the top `limit` groups and folds the rest into an other row", async () => {
    const { body } = await get(
      `/v1/analytics/breakdown?${WINDOW}&group_by=user&limit=2&sort=requests&metrics=requests,cost_usd`,
    );
    expect(body.data).toEqual([
      { key: "user-0", requests: 3, cost_usd: 0.000003 },
      { key: "user-1", requests: 3, cost_usd: 0.000003 },
      { key: null, is_other: true, requests: 8, cost_usd: 0.00001001 },
    ]);
    // Percentiles of the rest cannot be subtracted from a total: the top keys come from a sums-only pass and
    // one pass merges the top groups and the rest (by user), or a second query merges the rest (by sorting
    // on a percentile): both give the same rows.
    for (const sort of ["requests", "latency_p50_ms"]) {
      const withP50 = await get(
        `/v1/analytics/breakdown?${WINDOW}&group_by=user&limit=2&metrics=requests,latency_p50_ms&sort=${sort}`,
      );
      const other = withP50.body.data[2];
      expect(other).toMatchObject({ key: null, is_other: true });
      expect(withP50.body.data.reduce((n: number, r: { requests: number }) => n + r.requests, 0)).toBe(14);
      expect(other.latency_p50_ms).toBeGreaterThan(0);
    }
    const byModel = await get(
      `/v1/analytics/breakdown?${WINDOW}&group_by=model&limit=1&metrics=requests,latency_p50_ms`,
    );
    expect(byModel.body.data.at(-1)).toMatchObject({ key: null, is_other: true });
    expect(byModel.body.data.reduce((n: number, r: { requests: number }) => n + r.requests, 0)).toBe(14);
  });

  it("joins each group's feedback (latest revision), never another tenant's", async () => {
    const feedback = (tenant: string, traceId: string, value: number, weight: number, at: string) => ({
      event_id: crypto.randomUUID(),
      schema_version: 1,
      occurred_at: at,
      tenant_id: tenant,
      trace_id: traceId,
      feedback_id: `fb-${tenant}-${traceId}`,
      value,
      weight,
      metadata: {},
      source_topic: "test",
      source_partition: 0,
      source_offset: 0,
    });
    await db.clickhouse.client.insert({
      table: "feedback",
      format: "JSONEachRow",
      values: [
        feedback("acme", events[0]!.trace_id, -1, 1, "2025-06-01 12:00:00.000"),
        // A later revision of the same feedback replaces the first.
        feedback("acme", events[0]!.trace_id, 1, 1, "2025-06-01 13:00:00.000"),
        feedback("acme", events[10]!.trace_id, -1, 3, "2025-06-02 12:00:00.000"),
        // globex writing about acme's trace joins nothing.
        feedback("globex", events[1]!.trace_id, -1, 100, "2025-06-01 12:00:00.000"),
      ],
    });
    const { body } = await get(
      `/v1/analytics/breakdown?${WINDOW}&group_by=model&limit=1&metrics=requests,feedback_count,feedback_weighted_avg`,
    );
    expect(body.data).toEqual([
      { key: "gpt-4o", requests: 10, feedback_count: 1, feedback_weighted_avg: 1 },
      { key: null, is_other: true, requests: 4, feedback_count: 1, feedback_weighted_avg: -1 },
    ]);
  });

  it("groups by a metadata key and filters by metadata.k=v, status and a dimension", async () => {
    const byTeam = await get(`/v1/analytics/breakdown?${WINDOW}&group_by=metadata.team&metrics=requests`);
    expect(byTeam.body.source).toBe("rows");
    expect(byTeam.body.data).toEqual([
      { key: "ads", requests: 7 },
      { key: "search", requests: 6 },
      { key: null, requests: 1 },
    ]);
    const filtered = await get(
      `/v1/analytics/breakdown?${WINDOW}&group_by=model&metrics=requests&metadata.team=ads&status=error&provider=anthropic`,
    );
    expect(filtered.body.data).toEqual([{ key: "claude-sonnet-4", requests: 1 }]);
  });

  it("answers prompt breakdowns over whole days from the rows (no prompt rollup since migration 006)", async () => {
    const { body } = await get(`/v1/analytics/breakdown?${WINDOW}&group_by=prompt_version&metrics=requests`);
    expect(body.source).toBe("rows");
    expect(body.data).toEqual([
      { key: null, requests: 9 },
      { key: "pp-welcome@3", requests: 5 },
    ]);
  });

  it("returns a time series per bucket with the top groups and an other series", async () => {
    const { body } = await get(
      `/v1/analytics/series?${WINDOW}&interval=day&group_by=model&limit=1&metrics=requests&sort=requests`,
    );
    expect(body.data).toEqual([
      { bucket: "2025-06-01T00:00:00.000Z", key: "gpt-4o", requests: 10 },
      { bucket: "2025-06-02T00:00:00.000Z", key: null, is_other: true, requests: 4 },
    ]);
    const minutes = await get(
      "/v1/analytics/series?from=2025-06-02T08:00:00Z&to=2025-06-02T09:30:00Z&interval=minute&metrics=requests,errors",
    );
    expect(minutes.body.data).toEqual([
      { bucket: "2025-06-02T08:30:00.000Z", key: null, requests: 3, errors: 1 },
      { bucket: "2025-06-02T09:00:00.000Z", key: null, requests: 1, errors: 0 },
    ]);
  });

  it("never shows another tenant's rows, and refuses another tenant's id", async () => {
    const mine = await get(`/v1/analytics/breakdown?${WINDOW}&group_by=model&metrics=requests`);
    expect(mine.body.data.map((r: { key: string }) => r.key)).not.toContain("secret-model");
    const other = await get(`/v1/analytics/breakdown?${WINDOW}&tenant_id=globex`);
    expect(other.status).toBe(403);
    const admin = await get(`/v1/analytics/breakdown?${WINDOW}&group_by=tenant&metrics=requests`, TEST_KEYS.admin);
    expect(admin.body.data).toEqual([
      { key: "acme", requests: 14 },
      { key: "globex", requests: 2 },
    ]);
  });

  it.each([
    ["model", "hour", "rollup_hourly"],
    ["cache_status", "day", "rollup_daily"],
    ["user", "day", "rollup_daily_users"],
  ] as const)("reads the %s breakdown at %s steps from %s (EXPLAIN)", async (dimension, step, projection) => {
    const plan = planQuery({
      dimensions: [dimension as Dimension],
      usesMetadata: false,
      from: new Date("2025-06-01T00:00:00Z"),
      to: new Date("2025-06-03T00:00:00Z"),
      step,
      series: true,
      now: NOW,
    });
    expect(plan.source).toBe(projection);
    for (const tenantIds of [null, ["acme"]]) {
      const query: BreakdownQuery = {
        filter: { window: plan.window, tenantIds, dimensions: [], metadata: [] },
        plan,
        groupBy: { dimension: dimension as Dimension },
        metrics: DEFAULT_METRICS,
        sort: "latency_p99_ms",
        order: "desc",
        limit: 5,
      };
      for (const { sql, params } of [
        topGroupsQuery(query),
        topGroupsQuery(query, true),
        seriesQuery(query, ["a", null]),
        foldedGroupsQuery(query, ["a", null]),
        otherGroupsQuery(query, ["a", null]),
      ]) {
        const result = await db.clickhouse.client.query({
          query: `EXPLAIN projections = 1 ${sql}`,
          query_params: params,
          format: "JSONEachRow",
        });
        const explained = (await result.json<{ explain: string }>()).map((l) => l.explain).join("\n");
        expect(explained).toContain(`ReadFromMergeTree (${projection})`);
      }
    }
  });

  it.each([
    ["group_by=colour", "group_by"],
    ["group_by=metadata.bad%20key", "group_by"],
    ["metadata.bad%20key=x", "metadata.bad key"],
    ["metrics=requests,vibes", "metrics"],
    ["sort=vibes", "sort"],
    ["sort=feedback_count", "sort"],
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["interval=week", "interval"],
    ["status=meh", "status"],
    ["frobnicate=1", "frobnicate"],
    ["from=2025-06-02T00:00:00Z&to=2025-06-01T00:00:00Z", "to"],
    ["from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", "from"],
    [`model=${"x".repeat(300)}`, "model"],
  ])("answers 400 naming the parameter for %s", async (query, param) => {
    const { status, body } = await get(`/v1/analytics/breakdown?${query}`);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "invalid_parameter", param });
  });

  it("refuses series too long for their step", async () => {
    const { status, body } = await get(
      "/v1/analytics/series?from=2025-01-01T00:00:00Z&to=2025-06-01T00:00:00Z&interval=minute",
    );
    expect(status).toBe(400);
    expect(body.error.param).toBe("interval");
  });

  it("treats SQL in every parameter as a plain value", async () => {
    const injection = "x') OR 1=1 OR ('1'='1";
    const encoded = encodeURIComponent(injection);
    for (const param of [
      "user",
      "model",
      "provider",
      "api_key",
      "virtual_key",
      "config",
      "prompt",
      "prompt_version",
      "endpoint",
      "status_class",
      "status_code",
      "error_type",
      "cache_status",
      "guardrail_verdict",
      "metadata.team",
    ]) {
      const { status, body } = await get(`/v1/analytics/breakdown?${WINDOW}&${param}=${encoded}&group_by=model`);
      expect(status, param).toBe(200);
      expect(body.data, param).toEqual([]);
    }
    const tenant = await get(`/v1/analytics/breakdown?${WINDOW}&tenant_id=${encoded}&group_by=model`, TEST_KEYS.admin);
    expect(tenant.body.data).toEqual([]);
  });
});
