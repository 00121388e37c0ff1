import { z } from "zod";
import {
  CacheStatus,
  ERROR_MESSAGE_MAX,
  GuardrailHookResult,
  LimitCheck,
  PricingSource,
  RequestEvent,
  SPAN_ID_HEX,
  TRACE_ID_HEX,
} from "./request-event.ts";

// The encoder's fast path for RequestEvent (request-event.ts).
// encodeEvent validates every event; zod's pass over a RequestEvent costs several µs per request.
// acceptsRequestEvent answers the same question with plain checks. It must hold that: true ⇒
// RequestEvent.parse(value) succeeds and returns value's data unchanged (no key stripped, nothing
// transformed); false ⇒ the caller runs zod, which throws or strips as before. So a value it wrongly
// refuses only costs the slow path; it must never accept what RequestEvent refuses
// (request-event.test.ts checks both against the schema, field by field).
// The string formats are zod's own patterns (z.uuid v7 and z.iso.datetime without offset use these).
const EVENT_ID = z.regexes.uuid(7);
const DATETIME = z.regexes.datetime({});
const CACHE_STATUSES: ReadonlySet<unknown> = new Set(CacheStatus.options);
const PRICING_SOURCES: ReadonlySet<unknown> = new Set(PricingSource.options);

type Fields = Record<string, unknown>;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isMs = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === "string";
const isTextOrNull = (v: unknown) => v === null || typeof v === "string";
const isNonEmpty = (v: unknown) => typeof v === "string" && v.length > 0;
/** A literal-made object with exactly `keys` own enumerable keys (zod would copy nothing more, nothing less). */
function isPlain(v: unknown, keys: number): v is Fields {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && Object.keys(v).length === keys;
}

function isUsage(u: unknown): boolean {
  return (
    isPlain(u, 6) &&
    isCount(u.input_tokens) &&
    isCount(u.output_tokens) &&
    isCount(u.cache_read_tokens) &&
    isCount(u.cache_write_tokens) &&
    isCount(u.reasoning_tokens) &&
    typeof u.estimated === "boolean" &&
    u.cache_read_tokens + u.cache_write_tokens <= u.input_tokens &&
    u.reasoning_tokens <= u.output_tokens
  );
}

function isCostBreakdown(c: unknown): boolean {
  return (
    isPlain(c, 5) &&
    isCount(c.input) &&
    isCount(c.cached_input) &&
    isCount(c.cache_write) &&
    isCount(c.output) &&
    isCount(c.reasoning)
  );
}

function isAttempt(a: unknown): boolean {
  return (
    isPlain(a, 6) &&
    isText(a.provider) &&
    isText(a.model) &&
    Number.isSafeInteger(a.status_code) &&
    isMs(a.latency_ms) &&
    isTextOrNull(a.error_type) &&
    isText(a.target_path)
  );
}

function isGuardrail(g: unknown): boolean {
  return (
    isPlain(g, 6) &&
    isText(g.hook_id) &&
    isText(g.check_id) &&
    typeof g.verdict === "boolean" &&
    typeof g.deny === "boolean" &&
    isMs(g.latency_ms) &&
    isTextOrNull(g.explanation)
  );
}

const HOOK_TYPES: ReadonlySet<unknown> = new Set(GuardrailHookResult.shape.hook_type.options);
function isGuardrailHook(h: unknown): boolean {
  return (
    isPlain(h, 7) &&
    isText(h.hook_id) &&
    HOOK_TYPES.has(h.hook_type) &&
    typeof h.verdict === "boolean" &&
    typeof h.deny === "boolean" &&
    typeof h.transformed === "boolean" &&
    typeof h.async === "boolean" &&
    isMs(h.latency_ms)
  );
}

const LIMIT_KINDS: ReadonlySet<unknown> = new Set(LimitCheck.shape.kind.options);
const LIMIT_METRICS: ReadonlySet<unknown> = new Set(LimitCheck.shape.metric.options);
function isLimitCheck(l: unknown): boolean {
  return (
    isPlain(l, 4) &&
    isText(l.limit_id) &&
    LIMIT_KINDS.has(l.kind) &&
    LIMIT_METRICS.has(l.metric) &&
    typeof l.allowed === "boolean"
  );
}

const isBodies = (b: unknown): boolean =>
  b === null || (isPlain(b, 3) && isText(b.request) && isText(b.response) && typeof b.truncated === "boolean");
const isBoundedTextOrNull = (v: unknown, max: number) => v === null || (isText(v) && v.length <= max);

/** A dense plain array whose every element passes `each`. */
function isListOf(v: unknown, each: (item: unknown) => boolean): boolean {
  if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return false;
  for (let i = 0; i < v.length; i++) if (!(i in v) || !each(v[i])) return false;
  return true;
}

function isMetadata(m: unknown): boolean {
  if (typeof m !== "object" || m === null || Object.getPrototypeOf(m) !== Object.prototype) return false;
  const keys = Reflect.ownKeys(m);
  if (Object.keys(m).length !== keys.length) return false;
  for (const key of keys) {
    if (typeof key !== "string" || key === "__proto__" || typeof (m as Fields)[key] !== "string") return false;
  }
  return true;
}

const isOtelId = (v: unknown, pattern: RegExp) => v === null || (typeof v === "string" && pattern.test(v));
const EVENT_KEYS = Object.keys(RequestEvent.shape).length;

/** True only when RequestEvent accepts `value` as it is (see above); false means "ask zod". */
export function acceptsRequestEvent(value: unknown): value is RequestEvent {
  if (!isPlain(value, EVENT_KEYS)) return false;
  const e = value;
  return (
    isText(e.event_id) &&
    EVENT_ID.test(e.event_id) &&
    e.schema_version === 1 &&
    isText(e.occurred_at) &&
    DATETIME.test(e.occurred_at) &&
    isNonEmpty(e.gateway_instance) &&
    isNonEmpty(e.tenant_id) &&
    isTextOrNull(e.api_key_id) &&
    isTextOrNull(e.virtual_key_id) &&
    isTextOrNull(e.config_id) &&
    isNonEmpty(e.trace_id) &&
    (e.trace_id as string).length <= 256 &&
    isOtelId(e.otel_trace_id, TRACE_ID_HEX) &&
    isOtelId(e.otel_span_id, SPAN_ID_HEX) &&
    isNonEmpty(e.endpoint) &&
    typeof e.stream === "boolean" &&
    isText(e.model_requested) &&
    isTextOrNull(e.model_used) &&
    isNonEmpty(e.provider) &&
    isTextOrNull(e.target_path) &&
    isMetadata(e.metadata) &&
    isTextOrNull(e.user) &&
    Number.isSafeInteger(e.status_code) &&
    (e.status_code as number) >= 100 &&
    (e.status_code as number) <= 599 &&
    isTextOrNull(e.error_type) &&
    (e.error_message === null || (isText(e.error_message) && e.error_message.length <= ERROR_MESSAGE_MAX)) &&
    isMs(e.latency_ms) &&
    (e.upstream_latency_ms === null || isMs(e.upstream_latency_ms)) &&
    (e.ttft_ms === null || isMs(e.ttft_ms)) &&
    isMs(e.gateway_overhead_ms) &&
    isUsage(e.usage) &&
    isCount(e.cost_nano_usd) &&
    isCostBreakdown(e.cost_breakdown) &&
    PRICING_SOURCES.has(e.pricing_source) &&
    CACHE_STATUSES.has(e.cache_status) &&
    isCount(e.retry_count) &&
    isListOf(e.attempts, isAttempt) &&
    isListOf(e.guardrails, isGuardrail) &&
    isListOf(e.guardrail_hooks, isGuardrailHook) &&
    isBoundedTextOrNull(e.cache_key, 128) &&
    isCount(e.cost_saved_nano_usd) &&
    isBoundedTextOrNull(e.prompt_id, 256) &&
    (e.prompt_version === null || isCount(e.prompt_version)) &&
    isBoundedTextOrNull(e.prompt_label, 256) &&
    isListOf(e.limit_checks, isLimitCheck) &&
    isBodies(e.bodies)
  );
}
