import type { RequestEvent } from "@switchyard/events";
import { toClickHouseDateTime } from "@switchyard/platform";
import {
  clickHouseInstant,
  eventRow,
  type RowDecodeResult,
  type SourceCoordinates,
  unstorableTimestamp,
} from "./pending-row.ts";

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
const UINT32_MAX = 2 ** 32 - 1;

/** Values the event schema allows but the column types cannot hold (they would fail the whole insert). */
function unstorableRequest(event: RequestEvent): string | null {
  const timestamp = unstorableTimestamp(event.occurred_at);
  if (timestamp !== null) return timestamp;
  if (event.retry_count > UINT32_MAX) return "retry_count does not fit UInt32";
  const badAttempt = event.attempts.findIndex((a) => a.status_code > INT32_MAX || a.status_code < INT32_MIN);
  if (badAttempt >= 0) return `attempts.${badAttempt}.status_code does not fit Int32`;
  return null;
}

/**
 * One word for every guardrail outcome of a request (a rollup dimension): `denied` when a hook or check
 * denied it, `failed` when a check failed without denying, `passed` when checks ran and all passed,
 * `none` when no guardrail ran.
 */
export function guardrailVerdict(event: RequestEvent): "none" | "passed" | "failed" | "denied" {
  const { guardrails, guardrail_hooks: hooks } = event;
  if (guardrails.length === 0 && hooks.length === 0) return "none";
  if (hooks.some((h) => h.deny) || guardrails.some((g) => g.deny)) return "denied";
  if (hooks.some((h) => !h.verdict) || guardrails.some((g) => !g.verdict)) return "failed";
  return "passed";
}

/** The `requests` table's column names, in the order the mapper below lists them. */
const REQUEST_COLUMNS: { names?: readonly string[] } = {};

/**
 * RequestEvent → `requests` row (column names as in migrations 001 and 003). Nullable ids that are
 * rollup keys or indexed (cache_key, prompt_id, prompt_label) are stored as '' (the schema never has '').
 * Bodies go to their own compressed, TTL'd columns; `bodies_captured` tells "none" from an empty body.
 */
export function requestRow(event: RequestEvent, source: SourceCoordinates): RowDecodeResult {
  const problem = unstorableRequest(event);
  if (problem !== null) return { ok: false, reason: `unstorable event: ${problem}` };
  const occurredAt = clickHouseInstant(event.occurred_at, toClickHouseDateTime);
  const values = {
    event_id: event.event_id,
    schema_version: event.schema_version,
    occurred_at: occurredAt,
    gateway_instance: event.gateway_instance,
    tenant_id: event.tenant_id,
    api_key_id: event.api_key_id,
    virtual_key_id: event.virtual_key_id,
    config_id: event.config_id,
    trace_id: event.trace_id,
    otel_trace_id: event.otel_trace_id ?? "",
    otel_span_id: event.otel_span_id ?? "",
    endpoint: event.endpoint,
    stream: event.stream,
    model_requested: event.model_requested,
    model_used: event.model_used,
    model: event.model_used ?? event.model_requested,
    provider: event.provider,
    target_path: event.target_path,
    metadata: event.metadata,
    user: event.user,
    status_code: event.status_code,
    error_type: event.error_type,
    error_message: event.error_message,
    latency_ms: event.latency_ms,
    upstream_latency_ms: event.upstream_latency_ms,
    ttft_ms: event.ttft_ms,
    gateway_overhead_ms: event.gateway_overhead_ms,
    input_tokens: event.usage.input_tokens,
    output_tokens: event.usage.output_tokens,
    cache_read_tokens: event.usage.cache_read_tokens,
    cache_write_tokens: event.usage.cache_write_tokens,
    reasoning_tokens: event.usage.reasoning_tokens,
    usage_estimated: event.usage.estimated,
    cost_nano_usd: event.cost_nano_usd,
    cost_input_nano_usd: event.cost_breakdown.input,
    cost_cached_input_nano_usd: event.cost_breakdown.cached_input,
    cost_cache_write_nano_usd: event.cost_breakdown.cache_write,
    cost_output_nano_usd: event.cost_breakdown.output,
    cost_reasoning_nano_usd: event.cost_breakdown.reasoning,
    pricing_source: event.pricing_source,
    cache_status: event.cache_status,
    retry_count: event.retry_count,
    attempts: event.attempts,
    guardrails: event.guardrails,
    guardrail_hooks: event.guardrail_hooks,
    guardrail_verdict: guardrailVerdict(event),
    cache_key: event.cache_key ?? "",
    cost_saved_nano_usd: event.cost_saved_nano_usd,
    prompt_id: event.prompt_id ?? "",
    prompt_version: event.prompt_version,
    prompt_label: event.prompt_label ?? "",
    limit_checks: event.limit_checks,
    bodies_captured: event.bodies !== null,
    bodies_truncated: event.bodies?.truncated ?? false,
    body_request: event.bodies?.request ?? "",
    body_response: event.bodies?.response ?? "",
    source_topic: source.topic,
    source_partition: source.partition,
    source_offset: source.offset,
  };
  return eventRow(REQUEST_COLUMNS, event, occurredAt, source, values);
}
