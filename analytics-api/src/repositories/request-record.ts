import type { RequestEvent } from "@switchyard/events";
import { fromClickHouseDateTime, RECORD_JSON_LAYOUTS } from "@switchyard/platform";
import { toNumber } from "./sql-values.ts";

/** A stored request as the API returns it: the RequestEvent it came from, plus when ingest stored it. */
export type RequestRecord = RequestEvent & { ingested_at: string };

/**
 * The record's columns as one value (migration 011's `record_json`: a JSON array, its version first), for point
 * reads: one column stream instead of ~150.
 */
export const RECORD_JSON_COLUMN = "record_json";

/** The prompt/answer columns (migration 003), read only where a request's detail is shown. */
export const REQUEST_BODY_COLUMNS = "bodies_captured, bodies_truncated, body_request, body_response";

type Raw = Record<string, unknown>;

const nullableString = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : toNumber(v));
/** '' is how the table stores "none" for ids that are sort or rollup keys (OpenTelemetry ids, cache key, prompt). */
const emptyAsNull = (v: unknown): string | null => (v === "" || v === null || v === undefined ? null : String(v));

export function toRequestRecord(r: Raw): RequestRecord {
  return {
    event_id: String(r.event_id),
    schema_version: 1,
    occurred_at: fromClickHouseDateTime(String(r.occurred_at)),
    gateway_instance: String(r.gateway_instance),
    tenant_id: String(r.tenant_id),
    api_key_id: nullableString(r.api_key_id),
    virtual_key_id: nullableString(r.virtual_key_id),
    config_id: nullableString(r.config_id),
    trace_id: String(r.trace_id),
    otel_trace_id: emptyAsNull(r.otel_trace_id),
    otel_span_id: emptyAsNull(r.otel_span_id),
    endpoint: String(r.endpoint),
    stream: Boolean(r.stream),
    model_requested: String(r.model_requested),
    model_used: nullableString(r.model_used),
    provider: String(r.provider),
    target_path: nullableString(r.target_path),
    metadata: (r.metadata ?? {}) as Record<string, string>,
    user: nullableString(r.user),
    status_code: toNumber(r.status_code),
    error_type: nullableString(r.error_type),
    error_message: nullableString(r.error_message),
    latency_ms: toNumber(r.latency_ms),
    upstream_latency_ms: nullableNumber(r.upstream_latency_ms),
    ttft_ms: nullableNumber(r.ttft_ms),
    gateway_overhead_ms: toNumber(r.gateway_overhead_ms),
    usage: {
      input_tokens: toNumber(r.input_tokens),
      output_tokens: toNumber(r.output_tokens),
      cache_read_tokens: toNumber(r.cache_read_tokens),
      cache_write_tokens: toNumber(r.cache_write_tokens),
      reasoning_tokens: toNumber(r.reasoning_tokens),
      estimated: Boolean(r.usage_estimated),
    },
    cost_nano_usd: toNumber(r.cost_nano_usd),
    cost_breakdown: {
      input: toNumber(r.cost_input_nano_usd),
      cached_input: toNumber(r.cost_cached_input_nano_usd),
      cache_write: toNumber(r.cost_cache_write_nano_usd),
      output: toNumber(r.cost_output_nano_usd),
      reasoning: toNumber(r.cost_reasoning_nano_usd),
    },
    pricing_source: r.pricing_source as RequestEvent["pricing_source"],
    cache_status: r.cache_status as RequestEvent["cache_status"],
    retry_count: toNumber(r.retry_count),
    attempts: r.attempts as RequestEvent["attempts"],
    guardrails: r.guardrails as RequestEvent["guardrails"],
    guardrail_hooks: r.guardrail_hooks as RequestEvent["guardrail_hooks"],
    cache_key: emptyAsNull(r.cache_key),
    cost_saved_nano_usd: toNumber(r.cost_saved_nano_usd),
    prompt_id: emptyAsNull(r.prompt_id),
    prompt_version: nullableNumber(r.prompt_version),
    prompt_label: emptyAsNull(r.prompt_label),
    limit_checks: r.limit_checks as RequestEvent["limit_checks"],
    // Bodies are read only with REQUEST_BODY_COLUMNS; a row past the bodies' TTL reads captured = false.
    bodies: r.bodies_captured
      ? { request: String(r.body_request), response: String(r.body_response), truncated: Boolean(r.bodies_truncated) }
      : null,
    ingested_at: fromClickHouseDateTime(String(r.ingested_at)),
  };
}

/**
 * A row of `record_json` and the body columns as a RequestRecord: the array's values are those the columns would
 * have read as JSONEachRow (the engine's own JSON of each value), so toRequestRecord maps them the same way.
 */
export function fromRecordJson(r: Raw): RequestRecord {
  const values: unknown = JSON.parse(String(r.record_json));
  const columns = Array.isArray(values) && typeof values[0] === "number" ? RECORD_JSON_LAYOUTS[values[0]] : undefined;
  if (columns === undefined || (values as unknown[]).length !== columns.length + 1) {
    throw new Error(`record_json of an unknown layout: ${String(r.record_json).slice(0, 40)}`);
  }
  const raw: Raw = { ...r };
  for (let i = 0; i < columns.length; i++) raw[columns[i]!] = (values as unknown[])[i + 1];
  return toRequestRecord(raw);
}
