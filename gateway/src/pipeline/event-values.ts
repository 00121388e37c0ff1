import type { Attempt, CostBreakdown, Usage } from "@switchyard/events";

/**
 * Normalisers that make the event builder total: whatever a client sent or an upstream answered,
 * the values fit the RequestEvent schema (strings bounded, counts non-negative integers, usage
 * subsets within their totals), so an answered request is never dropped for an odd value.
 * The edge rejects most such input with a 400 first; these are the last line.
 */
export const EVENT_TEXT_MAX = 256;

/** Any value as a bounded string: non-strings are stringified (JSON for objects). */
export function eventText(value: unknown, max = EVENT_TEXT_MAX): string {
  const text = typeof value === "string" ? value : stringify(value);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function eventTextOrNull(value: unknown, max = EVENT_TEXT_MAX): string | null {
  return value === null || value === undefined ? null : eventText(value, max);
}

function stringify(value: unknown): string {
  if (value === undefined) return "";
  try {
    return typeof value === "object" ? (JSON.stringify(value) ?? "") : String(value);
  } catch {
    return String(value);
  }
}

/** A token count: a non-negative integer the event (and JSON) can carry exactly. */
const count = (n: unknown): number =>
  typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.min(Math.floor(n), Number.MAX_SAFE_INTEGER) : 0;

/** Each cost part is capped so that the five of them still add up to an exact integer. */
const COST_PART_MAX = Math.floor(Number.MAX_SAFE_INTEGER / 5);
const fits = (p: number): boolean => Number.isSafeInteger(p) && p >= 0 && p <= COST_PART_MAX;
const part = (p: number): number => (Number.isFinite(p) && p > 0 ? Math.min(Math.floor(p), COST_PART_MAX) : 0);

/**
 * A price the event can carry: an upstream reporting absurd usage (1e14 tokens) prices past 2^53
 * nano-USD; each part is capped and the total re-added, so the event stays exact and valid.
 */
export function saneCost<C extends { cost_nano_usd: number; cost_breakdown: CostBreakdown }>(cost: C): C {
  const b = cost.cost_breakdown;
  if (fits(b.input) && fits(b.cached_input) && fits(b.cache_write) && fits(b.output) && fits(b.reasoning)) return cost;
  const cost_breakdown: CostBreakdown = {
    input: part(b.input),
    cached_input: part(b.cached_input),
    cache_write: part(b.cache_write),
    output: part(b.output),
    reasoning: part(b.reasoning),
  };
  const total =
    cost_breakdown.input +
    cost_breakdown.cached_input +
    cost_breakdown.cache_write +
    cost_breakdown.output +
    cost_breakdown.reasoning;
  return { ...cost, cost_nano_usd: total, cost_breakdown };
}

/** Usage with every count a non-negative integer and cache/reasoning tokens within their totals. */
export function saneUsage(u: Usage): Usage {
  const cacheRead = count(u.cache_read_tokens);
  const cacheWrite = count(u.cache_write_tokens);
  const output = count(u.output_tokens);
  const reasoning = count(u.reasoning_tokens);
  const input = Math.max(count(u.input_tokens), cacheRead + cacheWrite);
  if (
    input === u.input_tokens &&
    output === u.output_tokens &&
    cacheRead === u.cache_read_tokens &&
    cacheWrite === u.cache_write_tokens &&
    reasoning <= output &&
    reasoning === u.reasoning_tokens &&
    typeof u.estimated === "boolean"
  )
    return u;
  return {
    input_tokens: input,
    output_tokens: Math.max(output, reasoning),
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    reasoning_tokens: reasoning,
    estimated: u.estimated === true,
  };
}

/** An HTTP status the event can hold (100–599); anything else is recorded as a 500. */
export function saneStatus(status: number): number {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500;
}

/** An attempt as built by eventAttempts is already valid: checked, and copied only when it is not. */
function saneAttempt(a: Attempt): boolean {
  return (
    typeof a.provider === "string" &&
    a.provider.length <= EVENT_TEXT_MAX &&
    typeof a.model === "string" &&
    a.model.length <= EVENT_TEXT_MAX &&
    Number.isInteger(a.status_code) &&
    Number.isFinite(a.latency_ms) &&
    a.latency_ms >= 0 &&
    (a.error_type === null || typeof a.error_type === "string") &&
    typeof a.target_path === "string"
  );
}

export function saneAttempts(attempts: Attempt[]): Attempt[] {
  if (attempts.every(saneAttempt)) return attempts;
  return attempts.map((a) => ({
    provider: eventText(a.provider),
    model: eventText(a.model),
    status_code: Number.isInteger(a.status_code) ? a.status_code : 0,
    latency_ms: Number.isFinite(a.latency_ms) && a.latency_ms > 0 ? a.latency_ms : 0,
    error_type: eventTextOrNull(a.error_type),
    target_path: eventText(a.target_path),
  }));
}

/** Metadata as string → string, each key and value bounded (the edge enforces the same bounds). */
export function saneMetadata(metadata: Record<string, unknown>): Record<string, string> {
  let clean = true;
  for (const key in metadata) {
    const v = metadata[key];
    if (typeof v !== "string" || v.length > EVENT_TEXT_MAX || key.length > EVENT_TEXT_MAX) {
      clean = false;
      break;
    }
  }
  if (clean) return metadata as Record<string, string>;
  const out: Record<string, string> = {};
  for (const key in metadata) out[eventText(key)] = eventText(metadata[key]);
  return out;
}
