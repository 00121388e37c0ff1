/**
 * The one exponential backoff every retry loop uses: the gateway's upstream retries
 * (routing/retry.ts), the event bus's consumer and spool retries (bus/backoff.ts) and the OTLP
 * span exporter (telemetry/otlp-proto/http-sender.ts). A function of (policy, retry number,
 * random source), not a retry loop: the router decides with a fake clock and a seeded rng, the bus
 * sleeps abortably, the exporter inside a deadline — so each keeps its own loop.
 */

export interface BackoffPolicy {
  /** The window of the first retry; it doubles on each later one. */
  initialMs: number;
  /** The largest window. */
  maxMs: number;
  /**
   * How the delay is drawn from the window. `"full"`: uniformly over [0, window) (AWS's "full
   * jitter": many clients recovering at once spread out fully). A fraction f: window × (1 ± f),
   * for a delay that stays near the schedule. Default 0.2.
   */
  jitter?: "full" | number;
}

/** Delay in ms before retry number `retry` (1 = the first retry); `rng` returns [0, 1). */
export function backoffDelay(policy: BackoffPolicy, retry: number, rng: () => number = Math.random): number {
  // The exponent is clamped so a long outage cannot overflow to Infinity before the cap applies.
  const window = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(retry - 1, 0), 30));
  const jitter = policy.jitter ?? 0.2;
  if (jitter === "full") return Math.floor(rng() * window);
  return Math.round(window * (1 - jitter + rng() * 2 * jitter));
}

/** Response headers as node (lower-case, possibly repeated) or a plain record (any case) gives them. */
export type ResponseHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The wait a server asked for, in ms: `retry-after-ms` (OpenAI, Azure; more precise) first, then
 * `Retry-After` as delta-seconds or an HTTP-date. A date in the past means now (0); an unreadable
 * value counts as absent (null). `nowMs` is wall-clock epoch ms, needed only for a date.
 */
export function retryAfterMs(headers: ResponseHeaders, nowMs: number): number | null {
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

/** Case-insensitive (servers and fetch implementations disagree on case); a repeated header's first value. */
function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  return typeof value === "string" ? value : value?.[0];
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects): a stop must not wait out a backoff. */
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
