import { describe, expect, it } from "vitest";
import { backoffDelay, retryAfterMs, sleep } from "./backoff.ts";

const NOW = Date.parse("2025-01-01T00:00:00Z");

describe("backoffDelay", () => {
  it("doubles the window from initialMs per retry and stops at maxMs", () => {
    const top = () => 0.999_999;
    const full = { initialMs: 100, maxMs: 1_000, jitter: "full" } as const;
    expect([1, 2, 3, 4, 5, 1_000].map((retry) => backoffDelay(full, retry, top))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
  });

  it("full jitter: uniform over [0, window)", () => {
    const full = { initialMs: 400, maxMs: 10_000, jitter: "full" } as const;
    expect(backoffDelay(full, 1, () => 0)).toBe(0);
    expect(backoffDelay(full, 1, () => 0.5)).toBe(200);
  });

  it("proportional jitter (default ±20 %): stays within window × (1 ± f)", () => {
    const policy = { initialMs: 200, maxMs: 10_000 };
    expect(backoffDelay(policy, 1, () => 0)).toBe(160);
    expect(backoffDelay(policy, 1, () => 0.5)).toBe(200);
    expect(backoffDelay(policy, 3, () => 0.999_999)).toBe(960);
    expect(backoffDelay({ ...policy, jitter: 0 }, 2, () => 0.7)).toBe(400);
  });
});

describe("retryAfterMs", () => {
  it("reads node's lower-case (possibly repeated) headers as well as any-case records", () => {
    expect(retryAfterMs({ "retry-after": ["2", "9"] }, NOW)).toBe(2000);
    expect(retryAfterMs({ "Retry-After": "0" }, NOW)).toBe(0);
    expect(retryAfterMs({ "retry-after": undefined }, NOW)).toBeNull();
  });
});

describe("sleep", () => {
  it("resolves at once when the signal aborts", async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
