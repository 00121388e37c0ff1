/** Capped exponential backoff: initialMs, 2×, 4×, … up to maxMs, with ±20% jitter so retries spread out. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 10_000 };

/** Delay before retry number `attempt` (1 = first retry). */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const exponential = policy.initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  const capped = Math.min(policy.maxMs, exponential);
  return Math.round(capped * (0.8 + Math.random() * 0.4));
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects): stop() must not wait out a backoff. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
