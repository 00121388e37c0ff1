import type { RequestEvent } from "@switchyard/events";
import { makeRequestEvent, storeRequestEvents } from "@switchyard/ingest/testing";
import { runMigrations } from "@switchyard/platform";
import { openTestClickHouse, type TestClickHouse } from "@switchyard/platform/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAnalyticsApp } from "./app.ts";
import { costParams, costsSql, timeseriesSql } from "./repositories/costs-repository.ts";
import { hasProjectionIndex, traceIndexSql, traceKeysSql, traceSql } from "./repositories/traces-repository.ts";
import { silentLogger, TEST_KEYS, testKeyStore } from "./test-support.ts";

const OTEL_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

// Enough rows for several granules (8192 rows each), so "reads one granule" is distinguishable from a scan.
const FILLER_ROWS = 30_000;

describe("GET /v1/traces/:traceId", () => {
  let db: TestClickHouse;
  let app: FastifyInstance;
  let trace: RequestEvent[];

  beforeAll(async () => {
    db = await openTestClickHouse();
    await runMigrations(db.clickhouse.client);
    const start = Date.parse("2025-06-01T00:00:00Z");
    const filler = Array.from({ length: FILLER_ROWS }, (_, i) =>
      makeRequestEvent({ occurred_at: new Date(start + i * 1_000).toISOString() }),
    );
    // One trace: a fallback pair under the gateway trace id, plus a request from another service that
    // shares only the OpenTelemetry trace id. Stored out of time order on purpose.
    trace = [
      makeRequestEvent({
        trace_id: "trace-checkout-42",
        otel_trace_id: OTEL_TRACE,
        otel_span_id: "00f067aa0ba902b7",
        occurred_at: "2025-06-01T05:00:02.000Z",
        status_code: 200,
        retry_count: 1,
        metadata: { feature: "checkout" },
        attempts: [
          {
            provider: "openai",
            model: "gpt-4o",
            status_code: 429,
            latency_ms: 30,
            error_type: "rate_limited",
            target_path: "config.targets[0]",
          },
          {
            provider: "anthropic",
            model: "claude-sonnet-4",
            status_code: 200,
            latency_ms: 900,
            error_type: null,
            target_path: "config.targets[1]",
          },
        ],
      }),
      makeRequestEvent({
        trace_id: "trace-checkout-42",
        occurred_at: "2025-06-01T05:00:01.000Z",
        status_code: 502,
        error_type: "upstream_error",
        error_message: "bad gateway",
      }),
      makeRequestEvent({
        trace_id: "other-service-span",
        otel_trace_id: OTEL_TRACE,
        occurred_at: "2025-06-01T05:00:03.000Z",
      }),
    ];
    await storeRequestEvents(db.clickhouse.client, [...filler, ...trace]);
    app = buildAnalyticsApp({ clickhouse: db.clickhouse, keyStore: testKeyStore(), logger: silentLogger() });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it("returns every request of the trace in time order, as the events that were ingested", async () => {
    const response = await app.inject({
      method: "GET",
      url: "/v1/traces/trace-checkout-42",
      headers: bearer(TEST_KEYS.acme),
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.trace_id).toBe("trace-checkout-42");
    // The third request shares only the OpenTelemetry trace id, so it is not part of this gateway trace.
    expect(body.requests.map((r: RequestEvent) => r.event_id)).toEqual([trace[1]!.event_id, trace[0]!.event_id]);
    const { ingested_at, ...stored } = body.requests[1];
    expect(stored).toEqual(trace[0]);
    expect(Date.parse(ingested_at)).not.toBeNaN();
  });

  it("finds requests by OpenTelemetry trace id too", async () => {
    const body = (
      await app.inject({ method: "GET", url: `/v1/traces/${OTEL_TRACE}`, headers: bearer(TEST_KEYS.admin) })
    ).json();
    expect(body.requests.map((r: RequestEvent) => r.event_id)).toEqual([trace[0]!.event_id, trace[2]!.event_id]);
  });

  it("is 404 for an unknown trace and for another tenant's trace", async () => {
    for (const [url, key] of [
      ["/v1/traces/no-such-trace", TEST_KEYS.acme],
      ["/v1/traces/trace-checkout-42", TEST_KEYS.globex],
    ] as const) {
      const response = await app.inject({ method: "GET", url, headers: bearer(key) });
      expect(response.statusCode).toBe(404);
      expect(response.json().error).toMatchObject({ code: "trace_not_found", type: "invalid_request_error" });
    }
  });

  it("seeks the trace through its key projections and the primary key, never scanning", async () => {
    const explain = async (sql: string, params: Record<string, unknown>) => {
      const result = await db.clickhouse.client.query({
        query: `EXPLAIN indexes = 1 ${sql}`,
        query_params: params,
        format: "JSONEachRow",
      });
      return (await result.json<{ explain: string }>()).map((line) => line.explain).join("\n");
    };
    /** [granules read, granules in the parts] of each ReadFromMergeTree step, by what it reads. */
    const granulesByRead = (plan: string) =>
      new Map(
        plan
          .split(/(?=ReadFromMergeTree \()/)
          .slice(1)
          .map((step) => {
            const name = /^ReadFromMergeTree \(([^)]+)\)/.exec(step)?.[1];
            const read = /Parts: \d+ \| Granules: (\d+)/.exec(step)?.[1];
            const total = /Granules: \d+\/(\d+)/.exec(step)?.[1];
            return [name, [Number(read), Number(total)]] as const;
          }),
      );

    for (const [traceId, projection] of [
      ["trace-checkout-42", "trace_keys"],
      [OTEL_TRACE, "otel_trace_keys"],
    ] as const) {
      const plan = await explain(traceKeysSql(false), { trace_id: traceId });
      expect(plan, "step 1 must not read the table itself").not.toMatch(/ReadFromMergeTree \([^)]*requests\)/);
      const [selected, total] = granulesByRead(plan).get(projection) ?? [Number.NaN, Number.NaN];
      expect(total, plan).toBeGreaterThan(1);
      expect(selected, plan).toBeLessThanOrEqual(1);
    }

    // The IN set is built while planning, so the plan shows the table's granules the keys leave.
    const rowsPlan = granulesByRead(await explain(traceSql(false), { trace_id: "trace-checkout-42" }));
    const [selected, total] = [...rowsPlan].find(([name]) => name?.endsWith("requests"))?.[1] ?? [];
    expect(total).toBeGreaterThanOrEqual(Math.floor(FILLER_ROWS / 8192));
    expect(selected).toBeLessThanOrEqual(1);
  });

  it("answers a gateway trace id the same from the projection-index and the IN-set statements, tenant scope included", async () => {
    const ids = async (sql: string, params: Record<string, unknown>) =>
      (
        await (
          await db.clickhouse.client.query({ query: sql, query_params: params, format: "JSONEachRow" })
        ).json<{
          event_id: string;
        }>()
      ).map((r) => r.event_id);
    const found: number[] = [];
    for (const [traceId, tenants] of [
      ["trace-checkout-42", null],
      ["trace-checkout-42", ["acme"]],
      ["trace-checkout-42", ["globex"]],
      ["other-service-span", ["acme", "globex"]],
    ] as const) {
      const params = { trace_id: traceId, ...(tenants === null ? {} : { tenant_ids: tenants }) };
      const scoped = tenants !== null;
      const expected = await ids(traceSql(scoped), params);
      // (The repository sends a W3C-shaped id, which may be either column's, to traceSql.)
      expect(await ids(traceIndexSql(scoped), params)).toEqual(expected);
      found.push(expected.length);
    }
    expect(found).toEqual([2, 2, 0, 1]);
  });

  it("reads only the trace's rows through the projection index, not the parts holding them", async () => {
    const version = (
      await (
        await db.clickhouse.client.query({ query: "SELECT version() AS v", format: "JSONEachRow" })
      ).json<{
        v: string;
      }>()
    )[0]!.v;
    expect(hasProjectionIndex("25.8.1.1")).toBe(false);
    expect(hasProjectionIndex("26.7.2.1")).toBe(true);
    // A 25.x server answers with traceSql (checked above). The engine's counters are this process's own only when
    // it is embedded; a shared server's count other statements too.
    if (!hasProjectionIndex(version) || db.clickhouse.kind !== "embedded") return;
    const selectedRows = async () =>
      Number(
        (
          await (
            await db.clickhouse.client.query({
              query: "SELECT value FROM system.events WHERE event = 'SelectedRows'",
              format: "JSONEachRow",
            })
          ).json<{ value: string }>()
        )[0]?.value ?? 0,
      );
    const rowsRead = async (sql: string, traceId: string) => {
      const before = await selectedRows();
      await (await db.clickhouse.client.query({ query: sql, query_params: { trace_id: traceId } })).text();
      return (await selectedRows()) - before;
    };
    // The filler is one part of FILLER_ROWS: reading the part holding the trace (what a projection without offsets
    // does, as a part filter only) reads all of them, the IN-set statement ~22,000 (three granules); the
    // projection's granule and the table rows at its offsets, at most two granules (16,518 measured).
    const read = await rowsRead(traceIndexSql(false), "trace-checkout-42");
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(0.6 * FILLER_ROWS);
  });

  // Per-user costs at hour windows read the rows: a user rollup only reduces rows per day (rollup_daily_users,
  // which /v1/analytics/breakdown uses; breakdown.test.ts checks it).
  it.each(["model", "provider", "tenant"] as const)(
    "answers %s cost breakdowns and time series from the hourly rollup projection",
    async (groupBy) => {
      const window = { from: new Date("2025-06-01T00:00:00Z"), to: new Date("2025-06-02T00:00:00Z") };
      for (const tenantIds of [null, ["acme"], ["acme", "globex"]]) {
        const filter = { window, tenantIds, groupBy };
        for (const sql of [costsSql(filter), timeseriesSql({ ...filter, interval: "day" })]) {
          const result = await db.clickhouse.client.query({
            query: `EXPLAIN projections = 1 ${sql}`,
            query_params: costParams(filter),
            format: "JSONEachRow",
          });
          const plan = (await result.json<{ explain: string }>()).map((line) => line.explain).join("\n");
          expect(plan).toContain("ReadFromMergeTree (rollup_hourly)");
        }
      }
    },
  );
});
