import type { RequestEvent } from "@switchyard/events";
import { toClickHouseDateTime } from "@switchyard/platform";
import {
  clickHouseInstant,
  lineRow,
  type RowDecodeResult,
  type SourceCoordinates,
  unstorableTimestamp,
} from "./pending-row.ts";

const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
const UINT32_MAX = 2 ** 32 - 1;

/** Values the event schema allows but the column types cannot hold (they would fail the whole insert). */
export function unstorableRequest(event: RequestEvent): string | null {
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

/**
 * The `requests` table's columns (migrations 001 and 003), in the order requestRow lists their values.
 * Nullable ids that are rollup keys or indexed (cache_key, prompt_id, prompt_label) are stored as ''
 * (the schema never has ''). Bodies go to their own compressed, TTL'd columns; `bodies_captured` tells
 * "none" from an empty body.
 */
export const REQUEST_COLUMNS: readonly string[] = Object.freeze([
  "event_id",
  "schema_version",
  "occurred_at",
  "gateway_instance",
  "tenant_id",
  "api_key_id",
  "virtual_key_id",
  "config_id",
  "trace_id",
  "otel_trace_id",
  "otel_span_id",
  "endpoint",
  "stream",
  "model_requested",
  "model_used",
  "model",
  "provider",
  "target_path",
  "metadata",
  "user",
  "status_code",
  "error_type",
  "error_message",
  "latency_ms",
  "upstream_latency_ms",
  "ttft_ms",
  "gateway_overhead_ms",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "usage_estimated",
  "cost_nano_usd",
  "cost_input_nano_usd",
  "cost_cached_input_nano_usd",
  "cost_cache_write_nano_usd",
  "cost_output_nano_usd",
  "cost_reasoning_nano_usd",
  "pricing_source",
  "cache_status",
  "retry_count",
  "attempts",
  "guardrails",
  "guardrail_hooks",
  "guardrail_verdict",
  "cache_key",
  "cost_saved_nano_usd",
  "prompt_id",
  "prompt_version",
  "prompt_label",
  "limit_checks",
  "bodies_captured",
  "bodies_truncated",
  "body_request",
  "body_response",
  "source_topic",
  "source_partition",
  "source_offset",
]);

/**
 * RequestEvent → `requests` row as a JSONCompactEachRow line: the form ingest wrote before RowBinary
 * (request-row-binary.ts's requestRow, what ingest uses), kept as the reference its test stores beside it.
 * The values go straight into the array whose JSON is the row's line (no column object in between).
 */
export function requestRowJson(event: RequestEvent, source: SourceCoordinates): RowDecodeResult {
  const problem = unstorableRequest(event);
  if (problem !== null) return { ok: false, reason: `unstorable event: ${problem}` };
  const occurredAt = clickHouseInstant(event.occurred_at, toClickHouseDateTime);
  const bodies = event.bodies;
  const values = [
    event.event_id,
    event.schema_version,
    occurredAt, // occurred_at
    event.gateway_instance,
    event.tenant_id,
    event.api_key_id,
    event.virtual_key_id,
    event.config_id,
    event.trace_id,
    event.otel_trace_id ?? "", // otel_trace_id
    event.otel_span_id ?? "", // otel_span_id
    event.endpoint,
    event.stream,
    event.model_requested,
    event.model_used,
    event.model_used ?? event.model_requested, // model
    event.provider,
    event.target_path,
    event.metadata,
    event.user,
    event.status_code,
    event.error_type,
    event.error_message,
    event.latency_ms,
    event.upstream_latency_ms,
    event.ttft_ms,
    event.gateway_overhead_ms,
    event.usage.input_tokens, // input_tokens
    event.usage.output_tokens, // output_tokens
    event.usage.cache_read_tokens, // cache_read_tokens
    event.usage.cache_write_tokens, // cache_write_tokens
    event.usage.reasoning_tokens, // reasoning_tokens
    event.usage.estimated, // usage_estimated
    event.cost_nano_usd,
    event.cost_breakdown.input, // cost_input_nano_usd
    event.cost_breakdown.cached_input, // cost_cached_input_nano_usd
    event.cost_breakdown.cache_write, // cost_cache_write_nano_usd
    event.cost_breakdown.output, // cost_output_nano_usd
    event.cost_breakdown.reasoning, // cost_reasoning_nano_usd
    event.pricing_source,
    event.cache_status,
    event.retry_count,
    event.attempts,
    event.guardrails,
    event.guardrail_hooks,
    guardrailVerdict(event), // guardrail_verdict
    event.cache_key ?? "", // cache_key
    event.cost_saved_nano_usd,
    event.prompt_id ?? "", // prompt_id
    event.prompt_version,
    event.prompt_label ?? "", // prompt_label
    event.limit_checks,
    bodies !== null, // bodies_captured
    bodies?.truncated ?? false, // bodies_truncated
    bodies?.request ?? "", // body_request
    bodies?.response ?? "", // body_response
    source.topic, // source_topic
    source.partition, // source_partition
    source.offset, // source_offset
  ];
  return lineRow(REQUEST_COLUMNS, event, occurredAt, source, values);
}
