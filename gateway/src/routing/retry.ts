import { backoffDelay, retryAfterMs } from "@switchyard/platform";
import type { RetryPolicy } from "./resolve-config.ts";
import type { Rng } from "./select.ts";

/**
 * When to retry a leaf and how long to wait first. Exponential backoff with full jitter (AWS
 * architecture blog, "Exponential Backoff And Jitter"): spreading retries uniformly over the
 * window keeps many gateway replicas from hammering a recovering provider in lockstep. A
 * provider's own Retry-After / retry-after-ms wins when the policy allows it; a wait beyond
 * the cap means give up and return the response now rather than hold the client. The backoff and
 * the Retry-After reading are platform's, shared with the event bus and the OTLP exporter.
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
  const schedule = { initialMs: options.baseMs, maxMs: options.capMs, jitter: "full" } as const;
  return { retry: true, delayMs: backoffDelay(schedule, retryIndex + 1, deps.rng), source: "backoff" };
}
