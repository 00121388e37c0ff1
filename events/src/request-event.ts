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
export const TRACE_ID_HEX = /^[0-9a-f]{32}$/;
export const SPAN_ID_HEX = /^[0-9a-f]{16}$/;
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
