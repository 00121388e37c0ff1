import { z } from "zod";

/** Portkey-compatible cache status values (x-portkey-cache-status). */
export const CacheStatus = z.enum(["HIT", "SEMANTIC HIT", "MISS", "SEMANTIC MISS", "REFRESH", "DISABLED"]);
export type CacheStatus = z.infer<typeof CacheStatus>;

export const PricingSource = z.enum(["genai-prices", "override", "unpriced"]);
export type PricingSource = z.infer<typeof PricingSource>;

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();
const nanoUsd = z.number().int().nonnegative();

/**
 * Token usage of one request. Invariants (what pricing relies on):
 * - input_tokens counts every prompt token, cached or not (OpenAI semantics);
 *   cache_read_tokens and cache_write_tokens are subsets of it.
 * - output_tokens counts every completion token; reasoning_tokens is a subset of it.
 * So a cached token is counted once, in input_tokens, and priced once, at the cache-read rate.
 */
export const Usage = z
  .object({
    input_tokens: count,
    output_tokens: count,
    cache_read_tokens: count,
    cache_write_tokens: count,
    reasoning_tokens: count,
    /** true when the provider reported no usage and tokens were counted locally. */
    estimated: z.boolean(),
  })
  .refine((u) => u.cache_read_tokens + u.cache_write_tokens <= u.input_tokens, {
    message: "cache_read_tokens + cache_write_tokens must not exceed input_tokens",
  })
  .refine((u) => u.reasoning_tokens <= u.output_tokens, {
    message: "reasoning_tokens must not exceed output_tokens",
  });
export type Usage = z.infer<typeof Usage>;

export const ZERO_USAGE: Usage = {
  input_tokens: 0,
  output_tokens: 0,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  estimated: false,
};

/** Cost split by component; the components add up to cost_nano_usd exactly. */
export const CostBreakdown = z.object({
  input: nanoUsd,
  cached_input: nanoUsd,
  cache_write: nanoUsd,
  output: nanoUsd,
  reasoning: nanoUsd,
});
export type CostBreakdown = z.infer<typeof CostBreakdown>;

export const Attempt = z.object({
  provider: z.string(),
  model: z.string(),
  status_code: z.number().int(),
  latency_ms: ms,
  error_type: z.string().nullable(),
  /** JSON path of the config target that made this attempt, e.g. "config.targets[1]". */
  target_path: z.string(),
});
export type Attempt = z.infer<typeof Attempt>;

export const GuardrailResult = z.object({
  hook_id: z.string(),
  check_id: z.string(),
  verdict: z.boolean(),
  deny: z.boolean(),
  latency_ms: ms,
  explanation: z.string().nullable(),
});
export type GuardrailResult = z.infer<typeof GuardrailResult>;

/** One guardrail hook's outcome (its checks are in `guardrails`, by hook_id). */
export const GuardrailHookResult = z.object({
  hook_id: z.string(),
  hook_type: z.enum(["before_request", "after_request"]),
  verdict: z.boolean(),
  /** true when this hook denied the request (446) or replaced the answer. */
  deny: z.boolean(),
  /** true when a mutator rewrote what was sent upstream (input) or returned (output). */
  transformed: z.boolean(),
  async: z.boolean(),
  latency_ms: ms,
});
export type GuardrailHookResult = z.infer<typeof GuardrailHookResult>;

/** One usage or rate limit the request was checked against (never another tenant's ids). */
export const LimitCheck = z.object({
  limit_id: z.string(),
  kind: z.enum(["rate", "budget"]),
  metric: z.enum(["requests", "tokens", "cost"]),
  allowed: z.boolean(),
});
export type LimitCheck = z.infer<typeof LimitCheck>;

/**
 * The prompt and the answer as sent upstream and returned (after any guardrail redaction), each
 * capped by the gateway; `truncated` says a cap cut either. Stored apart from the metrics columns.
 */
export const RequestBodies = z.object({ request: z.string(), response: z.string(), truncated: z.boolean() });
export type RequestBodies = z.infer<typeof RequestBodies>;

/** 16-byte / 8-byte lowercase hex, as W3C trace context writes them. */
const TRACE_ID_HEX = /^[0-9a-f]{32}$/;
const SPAN_ID_HEX = /^[0-9a-f]{16}$/;
const otelTraceId = z.string().regex(TRACE_ID_HEX);
const otelSpanId = z.string().regex(SPAN_ID_HEX);

export const ERROR_MESSAGE_MAX = 1024;

/**
 * One immutable event per gateway request, on topic llm.requests.v1, keyed by trace_id.
 * Never carries a provider key or any other secret. Prompt and answer bodies travel only in `bodies`
 * (captured unless the tenant or the request turned it off), never in metrics or spans.
 */
export const RequestEvent = z.object({
  event_id: z.uuid({ version: "v7" }),
  schema_version: z.literal(1),
  occurred_at: z.iso.datetime({ offset: false }),
  gateway_instance: z.string().min(1),

  tenant_id: z.string().min(1),
  api_key_id: z.string().nullable(),
  virtual_key_id: z.string().nullable(),
  config_id: z.string().nullable(),

  trace_id: z.string().min(1).max(256),
  otel_trace_id: otelTraceId.nullable(),
  otel_span_id: otelSpanId.nullable(),

  endpoint: z.string().min(1),
  stream: z.boolean(),
  model_requested: z.string(),
  model_used: z.string().nullable(),
  provider: z.string().min(1),
  target_path: z.string().nullable(),

  metadata: z.record(z.string(), z.string()),
  user: z.string().nullable(),

  status_code: z.number().int().min(100).max(599),
  error_type: z.string().nullable(),
  error_message: z.string().max(ERROR_MESSAGE_MAX).nullable(),

  latency_ms: ms,
  upstream_latency_ms: ms.nullable(),
  ttft_ms: ms.nullable(),
  gateway_overhead_ms: ms,

  usage: Usage,
  cost_nano_usd: nanoUsd,
  cost_breakdown: CostBreakdown,
  pricing_source: PricingSource,

  cache_status: CacheStatus,
  retry_count: count,
  attempts: z.array(Attempt),
  guardrails: z.array(GuardrailResult),

  // Added after schema_version 1 shipped: each has a default, so events already in a log still parse.
  guardrail_hooks: z.array(GuardrailHookResult).default([]),
  /** A hash of the cache key (never the key's content) when the cache was consulted. */
  cache_key: z.string().max(128).nullable().default(null),
  /** For a cache hit: what the answer cost when it was stored (the hit itself costs 0). */
  cost_saved_nano_usd: nanoUsd.default(0),
  prompt_id: z.string().max(256).nullable().default(null),
  prompt_version: count.nullable().default(null),
  prompt_label: z.string().max(256).nullable().default(null),
  limit_checks: z.array(LimitCheck).default([]),
  bodies: RequestBodies.nullable().default(null),
});
export type RequestEvent = z.infer<typeof RequestEvent>;

/** Truncates an upstream/gateway error message to what an event may carry. */
export function truncateErrorMessage(message: string): string {
  return message.length <= ERROR_MESSAGE_MAX ? message : `${message.slice(0, ERROR_MESSAGE_MAX - 1)}…`;
}

// --- The encoder's fast path -------------------------------------------------------------------
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
