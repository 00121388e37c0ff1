import { describe, expect, it } from "vitest";
import { type BreakerOptions, CircuitBreakers } from "./circuit-breaker.ts";
import { FakeClock } from "./test-support.ts";

const KEY = "openai#abc";

function setup(options: Partial<BreakerOptions> = {}) {
  const clock = new FakeClock();
  return { clock, breakers: new CircuitBreakers(options, clock.now) };
}

function call(breakers: CircuitBreakers, status: number, key = KEY): boolean {
  const permit = breakers.acquire(key);
  if (!permit) return false;
  permit.report(status);
  return true;
}

describe("CircuitBreakers", () => {
  it("starts closed and stays closed on successes and caller errors (4xx other than 408/429)", () => {
    const { breakers } = setup();
    for (const status of [200, 400, 401, 404, 422, 200, 400, 400, 400, 400]) call(breakers, status);
    expect(breakers.state(KEY)).toBe("closed");
    expect(breakers.state("never-seen")).toBe("closed");
  });

  it("opens after 5 consecutive failures (5xx, 429, 408, network errors as 502)", () => {
    const { breakers } = setup();
    for (const status of [500, 429, 408, 502]) call(breakers, status);
    expect(breakers.state(KEY)).toBe("closed");
    call(breakers, 503);
    expect(breakers.state(KEY)).toBe("open");
    expect(breakers.acquire(KEY)).toBeNull();
    expect(breakers.isAvailable(KEY)).toBe(false);
  });

  it("a success in between resets the consecutive count", () => {
    const { breakers } = setup();
    for (const status of [500, 500, 500, 500, 200, 500, 500, 500, 500]) call(breakers, status);
    expect(breakers.state(KEY)).toBe("closed");
  });

  it("opens on a failure rate of ≥ 50% over ≥ 20 calls in the window, without 5 in a row", () => {
    const { breakers, clock } = setup();
    for (let i = 0; i < 9; i++) {
      call(breakers, 500);
      call(breakers, 200);
      clock.advance(1000);
    }
    call(breakers, 500); // 19 calls, 10 failures: below the minimum volume
    expect(breakers.state(KEY)).toBe("closed");
    call(breakers, 500); // 20 calls, 11 failures
    expect(breakers.state(KEY)).toBe("open");
  });

  it("forgets failures older than the window", () => {
    const { breakers, clock } = setup({ consecutiveFailures: 1000 });
    for (let i = 0; i < 15; i++) call(breakers, 500);
    clock.advance(31_000);
    for (let i = 0; i < 10; i++) {
      call(breakers, 200);
      call(breakers, 500);
    }
    // 20 calls in the window at 50%: opens only now; the 15 old failures alone would have opened it sooner.
    expect(breakers.state(KEY)).toBe("open");
    const fresh = setup({ consecutiveFailures: 1000 });
    for (let i = 0; i < 15; i++) call(fresh.breakers, 500);
    fresh.clock.advance(31_000);
    for (let i = 0; i < 9; i++) call(fresh.breakers, 200);
    call(fresh.breakers, 500);
    expect(fresh.breakers.state(KEY)).toBe("closed");
  });

  it("open → half-open after the cooldown; exactly one probe goes through", () => {
    const { breakers, clock } = setup();
    for (let i = 0; i < 5; i++) call(breakers, 500);
    clock.advance(29_999);
    expect(breakers.acquire(KEY)).toBeNull();
    clock.advance(1);
    expect(breakers.state(KEY)).toBe("half_open");
    expect(breakers.isAvailable(KEY)).toBe(true);
    const probe = breakers.acquire(KEY);
    expect(probe?.probe).toBe(true);
    expect(breakers.acquire(KEY)).toBeNull();
    expect(breakers.isAvailable(KEY)).toBe(false);
    probe!.report(200);
    expect(breakers.state(KEY)).toBe("closed");
    expect(breakers.acquire(KEY)?.probe).toBe(false);
  });

  it("a failed probe re-opens for another full cooldown", () => {
    const { breakers, clock } = setup({ cooldownMs: 10_000 });
    for (let i = 0; i < 5; i++) call(breakers, 500);
    clock.advance(10_000);
    expect(call(breakers, 503)).toBe(true);
    expect(breakers.state(KEY)).toBe("open");
    clock.advance(9_999);
    expect(breakers.acquire(KEY)).toBeNull();
    clock.advance(1);
    expect(call(breakers, 200)).toBe(true);
    expect(breakers.state(KEY)).toBe("closed");
  });

  it("recovers with a clean record: one new failure does not re-open it", () => {
    const { breakers, clock } = setup();
    for (let i = 0; i < 5; i++) call(breakers, 500);
    clock.advance(30_000);
    call(breakers, 200);
    call(breakers, 500);
    expect(breakers.state(KEY)).toBe("closed");
    expect(breakers.snapshot()).toEqual([
      { key: KEY, state: "closed", consecutiveFailures: 1, windowCalls: 1, windowFailures: 1 },
    ]);
  });

  it("a released probe (client gone) frees the slot; a probe that never reports expires", () => {
    const { breakers, clock } = setup({ cooldownMs: 1000, probeTimeoutMs: 5000 });
    for (let i = 0; i < 5; i++) call(breakers, 500);
    clock.advance(1000);
    breakers.acquire(KEY)!.release();
    expect(breakers.acquire(KEY)?.probe).toBe(true); // taken and never reported
    expect(breakers.acquire(KEY)).toBeNull();
    clock.advance(5000);
    expect(breakers.acquire(KEY)?.probe).toBe(true);
  });

  it("results from calls started before a transition are ignored", () => {
    const { breakers, clock } = setup({ cooldownMs: 1000 });
    const slow = breakers.acquire(KEY)!;
    for (let i = 0; i < 5; i++) call(breakers, 500);
    slow.report(200); // started while closed; must not close the now-open breaker
    expect(breakers.state(KEY)).toBe("open");
    clock.advance(1000);
    const probe = breakers.acquire(KEY)!;
    probe.report(500);
    probe.report(200); // a permit settles once
    expect(breakers.state(KEY)).toBe("open");
  });

  it("keys are independent; the registry forgets the least recently used beyond maxEntries", () => {
    const { breakers } = setup({ maxEntries: 2 });
    for (let i = 0; i < 5; i++) call(breakers, 500, "a");
    call(breakers, 200, "b");
    expect(breakers.state("a")).toBe("open");
    expect(breakers.state("b")).toBe("closed");
    call(breakers, 200, "c");
    expect(breakers.snapshot().map((s) => s.key)).toEqual(["b", "c"]);
  });

  it("failure statuses are configurable", () => {
    const { breakers } = setup({ consecutiveFailures: 2, isFailure: (status) => status === 418 });
    call(breakers, 500);
    call(breakers, 500);
    expect(breakers.state(KEY)).toBe("closed");
    call(breakers, 418);
    call(breakers, 418);
    expect(breakers.state(KEY)).toBe("open");
  });
});
