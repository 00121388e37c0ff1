import type { RequestEvent } from "@switchyard/events";
import { makeRequestEvent, storeRequestEvents } from "@switchyard/ingest/testing";
import { RECORD_JSON_COLUMNS, runMigrations } from "@switchyard/platform";
import { openTestClickHouse, type TestClickHouse } from "@switchyard/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromRecordJson, REQUEST_BODY_COLUMNS, toRequestRecord } from "./repositories/request-record.ts";
import { TracesRepository, traceIndexSql, traceSql } from "./repositories/traces-repository.ts";

/**
 * The columns of `requests` toRequestRecord rebuilds a record from, written out here on their own: what `record_json`
 * (migration 011) must hold, in its order, and what the statements read before it.
 */
const REQUEST_RECORD_COLUMNS = `event_id, schema_version, occurred_at, gateway_instance,
  tenant_id, api_key_id, virtual_key_id, config_id, trace_id, otel_trace_id, otel_span_id, endpoint, stream,
  model_requested, model_used, provider, target_path, metadata, user, status_code, error_type, error_message,
  latency_ms, upstream_latency_ms, ttft_ms, gateway_overhead_ms, input_tokens, output_tokens, cache_read_tokens,
  cache_write_tokens, reasoning_tokens, usage_estimated, cost_nano_usd, cost_input_nano_usd,
  cost_cached_input_nano_usd, cost_cache_write_nano_usd, cost_output_nano_usd, cost_reasoning_nano_usd,
  pricing_source, cache_status, retry_count, attempts, guardrails, guardrail_hooks, cache_key, cost_saved_nano_usd,
  prompt_id, prompt_version, prompt_label, limit_checks, ingested_at`;

const TRACE = "trace-record-json";
const OTEL_TRACE = "0af7651916cd43dd8448eb211c80319c";
// Recent: the bodies' 30-day column TTL would reset an older row's bodies in a merge mid-test.
const at = (ms: number) => new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + ms).toISOString();

/** Every kind of value a record holds: nested lists, nulls, a map, text that JSON escapes, bodies. */
const events: RequestEvent[] = [
  makeRequestEvent({
    trace_id: TRACE,
    otel_trace_id: OTEL_TRACE,
    otel_span_id: "b7ad6b7169203331",
    occurred_at: at(123),
    virtual_key_id: "vk-1",
    config_id: "cfg-1",
    target_path: "config.targets[1]",
    metadata: { feature: "checkout", 'quote"d': "tab\there\nnewline / slash", emoji: "🚀 é" },
    user: null,
    status_code: 429,
    error_type: "rate_limited",
    error_message: 'upstream said "slow down"\\',
    ttft_ms: 33.3,
    upstream_latency_ms: null,
    latency_ms: 421.20000000000005,
    cost_nano_usd: 9_007_199_254,
    retry_count: 1,
    attempts: [
      {
        provider: "openai",
        model: "gpt-4o",
        status_code: 429,
        latency_ms: 30.5,
        error_type: "rate_limited",
        target_path: "a",
      },
      { provider: "anthropic", model: "claude", status_code: 200, latency_ms: 900, error_type: null, target_path: "b" },
    ],
    guardrails: [{ hook_id: "h", check_id: "c", verdict: false, deny: true, latency_ms: 0.25, explanation: "pii" }],
    guardrail_hooks: [
      {
        hook_id: "h",
        hook_type: "before_request",
        verdict: false,
        deny: true,
        transformed: false,
        async: false,
        latency_ms: 0.2,
      },
    ],
    cache_status: "MISS",
    cache_key: "ck-1",
    cost_saved_nano_usd: 7,
    prompt_id: "pp-1",
    prompt_version: 3,
    prompt_label: "production",
    limit_checks: [{ limit_id: "vk_1.usage", kind: "budget", metric: "cost", allowed: true }],
    bodies: { request: '{"messages":[]}', response: "ünïcode\u2028answer", truncated: true },
  }),
  makeRequestEvent({ trace_id: TRACE, occurred_at: at(1_000) }),
];

describe("trace records read from record_json (migration 011)", () => {
  let db: TestClickHouse;
  const rows = async (sql: string, params: Record<string, unknown> = {}) =>
    (await db.clickhouse.client.query({ query: sql, query_params: params, format: "JSONEachRow" })).json<
      Record<string, unknown>
    >();

  beforeAll(async () => {
    db = await openTestClickHouse();
    await runMigrations(db.clickhouse.client);
    await storeRequestEvents(db.clickhouse.client, events);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("holds exactly the columns a record is rebuilt from, in the migration's order", () => {
    expect(RECORD_JSON_COLUMNS).toEqual(REQUEST_RECORD_COLUMNS.split(",").map((c) => c.trim()));
  });

  it("rebuilds each record the same as reading its columns, through both trace statements and either id", async () => {
    const byColumns = (
      await rows(
        `SELECT ${REQUEST_RECORD_COLUMNS}, ${REQUEST_BODY_COLUMNS} FROM requests WHERE trace_id = {t:String}
        ORDER BY occurred_at`,
        { t: TRACE },
      )
    ).map(toRequestRecord);
    expect(byColumns.map(({ ingested_at, ...event }) => event)).toEqual(events);
    for (const scoped of [false, true]) {
      const params = { trace_id: TRACE, ...(scoped ? { tenant_ids: ["acme"] } : {}) };
      expect((await rows(traceIndexSql(scoped), params)).map(fromRecordJson)).toEqual(byColumns);
      expect((await rows(traceSql(scoped), params)).map(fromRecordJson)).toEqual(byColumns);
    }
    const otel = (await rows(traceSql(false), { trace_id: OTEL_TRACE })).map(fromRecordJson);
    expect(otel).toEqual([byColumns[0]]);
    // Tenant scope holds: another tenant's key reads nothing of the trace.
    expect(await rows(traceIndexSql(true), { trace_id: TRACE, tenant_ids: ["globex"] })).toEqual([]);
  });

  it("reads the record's one column and the bodies, not the record's columns", () => {
    for (const sql of [traceIndexSql(false), traceSql(true)]) {
      const selected = /^SELECT (.*?) FROM requests/s.exec(sql)?.[1];
      expect(selected).toBe(`record_json, ${REQUEST_BODY_COLUMNS}`);
    }
  });

  it("sorts its unordered read as the engine orders, ties within a millisecond included, and serves a trace over the cap from the ordered statement", async () => {
    // 1,001 requests in 50 distinct milliseconds: many ties, one row over the cap of 1,000.
    const crowd = Array.from({ length: 1_001 }, (_, i) =>
      makeRequestEvent({ trace_id: "trace-crowd", occurred_at: at(2_000 + (i % 50)) }),
    );
    const repository = new TracesRepository(db.clickhouse.client);
    const ordered = async (id: string) =>
      (await rows(traceIndexSql(false, true), { trace_id: id })).map((r) => fromRecordJson(r).event_id);
    await storeRequestEvents(db.clickhouse.client, crowd.slice(0, 120), 1_000);
    const ids = async (id: string) => (await repository.requestsOfTrace(id, null)).map((r) => r.event_id);
    expect(await ids("trace-crowd")).toEqual(await ordered("trace-crowd"));
    expect(await ids(TRACE)).toEqual(events.map((e) => e.event_id));

    await storeRequestEvents(db.clickhouse.client, crowd.slice(120), 1_120);
    const served = await ids("trace-crowd");
    expect(served).toHaveLength(1_000);
    expect(served).toEqual(await ordered("trace-crowd"));
  });

  it("sees a trace over the cap that one id column holds alone, and serves its oldest requests (IN-set statement)", async () => {
    // A W3C-shaped id takes the IN-set statement: 1,000 newer requests and one older, all by otel_trace_id.
    const otelCrowd = "1af7651916cd43dd8448eb211c80319c";
    const newer = Array.from({ length: 1_000 }, (_, i) =>
      makeRequestEvent({ trace_id: `t-${i}`, otel_trace_id: otelCrowd, occurred_at: at(5_000 + (i % 40)) }),
    );
    const oldest = makeRequestEvent({ trace_id: "t-oldest", otel_trace_id: otelCrowd, occurred_at: at(4_000) });
    // The oldest arrives last, in a part of its own: an engine that stops at the cap reads the newer part first.
    await storeRequestEvents(db.clickhouse.client, newer, 3_000);
    await storeRequestEvents(db.clickhouse.client, [oldest], 4_000);
    const served = await new TracesRepository(db.clickhouse.client).requestsOfTrace(otelCrowd, null);
    expect(served).toHaveLength(1_000);
    expect(served[0]?.event_id).toBe(oldest.event_id);
    expect(served.map((r) => r.event_id)).toEqual(
      (await rows(traceSql(false, true), { trace_id: otelCrowd })).map((r) => fromRecordJson(r).event_id),
    );
  });

  it("refuses a record_json of another layout instead of misplacing its values", () => {
    expect(() => fromRecordJson({ record_json: '[2, "x"]' })).toThrow(/unknown layout/);
    expect(() => fromRecordJson({ record_json: '{"event_id": "x"}' })).toThrow(/unknown layout/);
  });
});
