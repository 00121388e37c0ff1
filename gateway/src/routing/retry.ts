import type { RetryPolicy } from "./resolve-config.ts";
import type { Rng } from "./select.ts";

/**
 * When to retry a leaf and how long to wait first. Exponential backoff with full jitter (AWS
 * architecture blog, "Exponential Backoff And Jitter"): spreading retries uniformly over the
 * window keeps many gateway replicas from hammering a recovering provider in lockstep. A
 * provider's own Retry-After / retry-after-ms wins when the policy allows it; a wait beyond
 * the cap means give up and return the response now rather than hold the client.
 */

export interface BackoffOptions {
  /** Window of the first retry; doubles on each later one. */
  baseMs: number;
  /** Largest computed (jittered) window. */
  capMs: number;
  /** Longest provider-requested wait we honour; beyond it we give up. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, capMs: 10_000, maxRetryAfterMs: 60_000 };

/** Whether a try that ended with this status is worth another (a thrown network error arrives as 502). */
export function shouldRetry(policy: RetryPolicy, status: number): boolean {
  return policy.onStatusCodes.includes(status);
}

export type RetryDecision =
  | { retry: true; delayMs: number; source: "backoff" | "retry-after" }
  | { retry: false; reason: "retry_after_exceeds_cap"; requestedMs: number };

/**
 * The wait before retry number `retryIndex` (0 = the first retry). `nowMs` is wall-clock epoch
 * milliseconds, needed only to read an HTTP-date Retry-After.
 */
export function retryDelay(
  policy: RetryPolicy,
  retryIndex: number,
  headers: Readonly<Record<string, string>>,
  deps: { rng: Rng; nowMs: number },
  options: BackoffOptions = DEFAULT_BACKOFF,
): RetryDecision {
  if (policy.useRetryAfterHeader) {
    const requestedMs = retryAfterMs(headers, deps.nowMs);
    if (requestedMs !== null) {
      if (requestedMs > options.maxRetryAfterMs)
        return { retry: false, reason: "retry_after_exceeds_cap", requestedMs };
      return { retry: true, delayMs: requestedMs, source: "retry-after" };
    }
  }
  const window = Math.min(options.capMs, options.baseMs * 2 ** retryIndex);
  return { retry: true, delayMs: Math.floor(deps.rng() * window), source: "backoff" };
}

/**
 * The wait a provider asked for, in ms: `retry-after-ms` (OpenAI, Azure; more precise) first,
 * then `Retry-After` as delta-seconds or an HTTP-date. A date in the past means now (0);
 * an unreadable value counts as absent.
 */
export function retryAfterMs(headers: Readonly<Record<string, string>>, nowMs: number): number | null {
  const precise = headerValue(headers, "retry-after-ms");
  if (precise !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(precise)) return Math.ceil(Number(precise));
  const value = headerValue(headers, "retry-after")?.trim();
  if (value === undefined || value === "") return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  // An HTTP-date names its month ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone would read "-3" as a year.
  if (!/[A-Za-z]{3}/.test(value)) return null;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

/** Case-insensitive: providers and fetch implementations disagree on header case. */
function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}
