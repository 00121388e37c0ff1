import type { RequestEvent } from "@switchyard/events";
import { toClickHouseDateTime } from "@switchyard/platform";
import { clickHouseInstant, type RowDecodeResult, type SourceCoordinates } from "./pending-row.ts";
import { guardrailVerdict, REQUEST_COLUMNS, unstorableRequest } from "./request-row.ts";
import {
  abandonRow,
  beginRow,
  endRow,
  writeBool,
  writeByte,
  writeFloat64,
  writeInt32,
  writeInt64,
  writeLength,
  writeNullableFloat64,
  writeNullableString,
  writeNullableUInt64,
  writeString,
  writeStringMap,
  writeUInt16,
  writeUInt32,
  writeUInt64Decimal,
  writeUuid,
} from "./row-binary.ts";

const UINT64_END = 2 ** 64;

/** A UInt64 column's value that RowBinary cannot carry exactly (the JSON form failed its whole insert). */
function unstorableCount(event: RequestEvent): string | null {
  const { usage, cost_breakdown: cost } = event;
  // Every count but prompt_version is also bounded by the sum or by input_tokens/output_tokens (Usage's
  // refinements do not bound the costs), so each is checked: a plain comparison chain, no array per event.
  if (
    usage.input_tokens >= UINT64_END ||
    usage.output_tokens >= UINT64_END ||
    event.cost_nano_usd >= UINT64_END ||
    cost.input >= UINT64_END ||
    cost.cached_input >= UINT64_END ||
    cost.cache_write >= UINT64_END ||
    cost.output >= UINT64_END ||
    cost.reasoning >= UINT64_END ||
    event.cost_saved_nano_usd >= UINT64_END ||
    (event.prompt_version ?? 0) >= UINT64_END
  )
    return "a count does not fit UInt64";
  return null;
}

/**
 * RequestEvent → `requests` row in RowBinary (row-binary.ts), the same values as requestRowJson's line in
 * REQUEST_COLUMNS order, written straight from the event: no value array, no JSON text, and the engine's
 * parse of the insert is the binary one.
 */
export function requestRow(event: RequestEvent, source: SourceCoordinates): RowDecodeResult {
  const problem = unstorableRequest(event) ?? unstorableCount(event);
  if (problem !== null) return { ok: false, reason: `unstorable event: ${problem}` };
  const occurredAt = clickHouseInstant(event.occurred_at, toClickHouseDateTime);
  const { usage, cost_breakdown: cost, bodies } = event;
  beginRow();
  if (!writeUuid(event.event_id)) {
    abandonRow();
    return { ok: false, reason: `unstorable event: event_id ${event.event_id} is not a UUID` };
  }
  writeByte(event.schema_version);
  writeInt64(Date.parse(event.occurred_at)); // DateTime64(3): ms; toClickHouseDateTime reads it the same way
  writeString(event.gateway_instance);
  writeString(event.tenant_id);
  writeNullableString(event.api_key_id);
  writeNullableString(event.virtual_key_id);
  writeNullableString(event.config_id);
  writeString(event.trace_id);
  writeString(event.otel_trace_id ?? "");
  writeString(event.otel_span_id ?? "");
  writeString(event.endpoint);
  writeBool(event.stream);
  writeString(event.model_requested);
  writeNullableString(event.model_used);
  writeString(event.model_used ?? event.model_requested);
  writeString(event.provider);
  writeNullableString(event.target_path);
  writeStringMap(event.metadata);
  writeNullableString(event.user);
  writeUInt16(event.status_code);
  writeNullableString(event.error_type);
  writeNullableString(event.error_message);
  writeFloat64(event.latency_ms);
  writeNullableFloat64(event.upstream_latency_ms);
  writeNullableFloat64(event.ttft_ms);
  writeFloat64(event.gateway_overhead_ms);
  writeInt64(usage.input_tokens);
  writeInt64(usage.output_tokens);
  writeInt64(usage.cache_read_tokens);
  writeInt64(usage.cache_write_tokens);
  writeInt64(usage.reasoning_tokens);
  writeBool(usage.estimated);
  writeInt64(event.cost_nano_usd);
  writeInt64(cost.input);
  writeInt64(cost.cached_input);
  writeInt64(cost.cache_write);
  writeInt64(cost.output);
  writeInt64(cost.reasoning);
  writeString(event.pricing_source);
  writeString(event.cache_status);
  writeUInt32(event.retry_count);
  writeLength(event.attempts.length);
  for (const a of event.attempts) {
    writeString(a.provider);
    writeString(a.model);
    writeInt32(a.status_code);
    writeFloat64(a.latency_ms);
    writeNullableString(a.error_type);
    writeString(a.target_path);
  }
  writeLength(event.guardrails.length);
  for (const g of event.guardrails) {
    writeString(g.hook_id);
    writeString(g.check_id);
    writeBool(g.verdict);
    writeBool(g.deny);
    writeFloat64(g.latency_ms);
    writeNullableString(g.explanation);
  }
  writeLength(event.guardrail_hooks.length);
  for (const h of event.guardrail_hooks) {
    writeString(h.hook_id);
    writeString(h.hook_type);
    writeBool(h.verdict);
    writeBool(h.deny);
    writeBool(h.transformed);
    writeBool(h.async);
    writeFloat64(h.latency_ms);
  }
  writeString(guardrailVerdict(event));
  writeString(event.cache_key ?? "");
  writeInt64(event.cost_saved_nano_usd);
  writeString(event.prompt_id ?? "");
  writeNullableUInt64(event.prompt_version);
  writeString(event.prompt_label ?? "");
  writeLength(event.limit_checks.length);
  for (const l of event.limit_checks) {
    writeString(l.limit_id);
    writeString(l.kind);
    writeString(l.metric);
    writeBool(l.allowed);
  }
  writeBool(bodies !== null);
  writeBool(bodies?.truncated ?? false);
  writeString(bodies?.request ?? "");
  writeString(bodies?.response ?? "");
  writeString(source.topic);
  writeUInt32(source.partition);
  writeUInt64Decimal(source.offset);
  const line = endRow();
  return {
    ok: true,
    row: {
      eventId: event.event_id.toLowerCase(),
      occurredAt,
      tenantId: event.tenant_id,
      source,
      columns: REQUEST_COLUMNS,
      line,
      format: "RowBinary",
    },
  };
}
