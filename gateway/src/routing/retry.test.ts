import { retryAfterMs } from "@switchyard/platform";
import { describe, expect, it } from "vitest";
import type { RetryPolicy } from "./resolve-config.ts";
import { DEFAULT_BACKOFF, retryDelay, shouldRetry } from "./retry.ts";

const policy: RetryPolicy = { attempts: 5, onStatusCodes: [429, 500, 502, 503, 504], useRetryAfterHeader: true };
const NOW = Date.parse("2025-01-01T00:00:00Z");
const maxRng = () => 0.999_999;

describe("shouldRetry", () => {
  it("retries exactly the listed statuses", () => {
    expect([429, 500, 502, 503, 504].every((status) => shouldRetry(policy, status))).toBe(true);
    expect([200, 400, 401, 404, 408, 501].some((status) => shouldRetry(policy, status))).toBe(false);
    expect(shouldRetry({ ...policy, onStatusCodes: [408] }, 408)).toBe(true);
  });
});

describe("retryDelay: exponential backoff with full jitter", () => {
  it("the window doubles from the base and stops at the cap", () => {
    const windows = [0, 1, 2, 3, 10, 20].map(
      (i) => retryDelay(policy, i, {}, { rng: maxRng, nowMs: NOW }) as { delayMs: number },
    );
    expect(windows.map((w) => w.delayMs)).toEqual([99, 199, 399, 799, 9_999, 9_999]);
  });

  it("is uniformly jittered within the window (never above it, 0 possible)", () => {
    expect(retryDelay(policy, 3, {}, { rng: () => 0, nowMs: NOW })).toEqual({
      retry: true,
      delayMs: 0,
      source: "backoff",
    });
    expect(retryDelay(policy, 3, {}, { rng: () => 0.5, nowMs: NOW })).toMatchObject({ delayMs: 400 });
  });

  it("honours options", () => {
    const options = { baseMs: 1000, capMs: 3000, maxRetryAfterMs: 5000 };
    expect(retryDelay(policy, 4, {}, { rng: () => 0.5, nowMs: NOW }, options)).toMatchObject({ delayMs: 1500 });
  });
});

describe("Retry-After", () => {
  it("seconds, milliseconds (retry-after-ms wins), any header case", () => {
    expect(retryAfterMs({ "retry-after": "2" }, NOW)).toBe(2000);
    expect(retryAfterMs({ "Retry-After": "1.5" }, NOW)).toBe(1500);
    expect(retryAfterMs({ "retry-after-ms": "250", "retry-after": "9" }, NOW)).toBe(250);
    expect(retryAfterMs({ "Retry-After-Ms": "12.2" }, NOW)).toBe(13);
  });

  it("an HTTP date, relative to now; a past date means now; garbage counts as absent", () => {
    expect(retryAfterMs({ "retry-after": new Date(NOW + 7000).toUTCString() }, NOW)).toBe(7000);
    expect(retryAfterMs({ "retry-after": new Date(NOW - 7000).toUTCString() }, NOW)).toBe(0);
    expect(retryAfterMs({ "retry-after": "soon" }, NOW)).toBeNull();
    expect(retryAfterMs({ "retry-after": "-3" }, NOW)).toBeNull();
    expect(retryAfterMs({}, NOW)).toBeNull();
  });

  it("replaces the backoff when the policy honours it", () => {
    expect(retryDelay(policy, 0, { "retry-after": "3" }, { rng: maxRng, nowMs: NOW })).toEqual({
      retry: true,
      delayMs: 3000,
      source: "retry-after",
    });
  });

  it("is ignored when use_retry_after_header is false", () => {
    const ignoring = { ...policy, useRetryAfterHeader: false };
    expect(retryDelay(ignoring, 0, { "retry-after": "3" }, { rng: maxRng, nowMs: NOW })).toMatchObject({
      delayMs: 99,
      source: "backoff",
    });
  });

  it("beyond the cap means give up rather than block", () => {
    expect(DEFAULT_BACKOFF.maxRetryAfterMs).toBe(60_000);
    expect(retryDelay(policy, 0, { "retry-after": "60" }, { rng: maxRng, nowMs: NOW })).toMatchObject({
      retry: true,
      delayMs: 60_000,
    });
    expect(retryDelay(policy, 0, { "retry-after": "61" }, { rng: maxRng, nowMs: NOW })).toEqual({
      retry: false,
      reason: "retry_after_exceeds_cap",
      requestedMs: 61_000,
    });
  });
});
