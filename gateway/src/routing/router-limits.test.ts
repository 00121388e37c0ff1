import { describe, expect, it } from "vitest";
import { MAX_TARGETS } from "./config-schema.ts";
import { DEFAULT_MAX_ATTEMPTS, type RouteRequest, routeRequest } from "./router.ts";
import { FakeClock, routeTree, scriptedUpstreams, testDeps } from "./test-support.ts";

/** Issue 10 §5: one request makes a bounded number of upstream calls, however its config reads. */

const request: RouteRequest = { metadata: {}, params: { model: "gpt-4o" }, pathname: "/v1/chat/completions" };

/** A fallback over `n` leaves named k0..k(n-1), each failing with 503, each retried `retries` times. */
function failingFallback(n: number, retries = 0) {
  const keys = Array.from({ length: n }, (_, i) => `k${i}`);
  const config = {
    strategy: { mode: "fallback" },
    retry: { attempts: retries },
    targets: keys.map((key) => ({ provider: "openai", api_key: key })),
  };
  return { config, ...scriptedUpstreams(Object.fromEntries(keys.map((key) => [key, [503]]))) };
}

describe("routeRequest: the attempt budget", () => {
  it(`by default a fallback over ${MAX_TARGETS} failing targets makes ${DEFAULT_MAX_ATTEMPTS} calls, not ${MAX_TARGETS}`, async () => {
    const { config, execute, calls } = failingFallback(MAX_TARGETS);
    const result = await routeRequest(routeTree(config), request, execute, testDeps(new FakeClock()));
    expect(calls).toHaveLength(DEFAULT_MAX_ATTEMPTS);
    expect(result.attempts).toHaveLength(DEFAULT_MAX_ATTEMPTS);
    // The last answer an upstream gave stands.
    expect(result.outcome).toMatchObject({ status: 503, value: `k${DEFAULT_MAX_ATTEMPTS - 1}:503` });
    expect(result.leaf.path).toBe(`config.targets[${DEFAULT_MAX_ATTEMPTS - 1}]`);
  });

  it("counts retries and fallbacks together, and is configurable", async () => {
    const { config, execute, calls } = failingFallback(4, 3);
    const clock = new FakeClock();
    const result = await routeRequest(routeTree(config), request, execute, testDeps(clock), { maxAttempts: 6 });
    // 4 tries of k0 (first + 3 retries), then 2 of k1: the 6th is k1's 2nd, no backoff after it.
    expect(calls).toEqual(["k0", "k0", "k0", "k0", "k1", "k1"]);
    expect(result.retryCount).toBe(1);
    expect(clock.slept).toHaveLength(3 + 1);
  });

  it("stops a leaf's retries mid-way when the budget runs out", async () => {
    const { config, execute, calls } = failingFallback(1, 10);
    await routeRequest(routeTree(config), request, execute, testDeps(new FakeClock()), { maxAttempts: 3 });
    expect(calls).toEqual(["k0", "k0", "k0"]);
  });

  it("nested fallbacks share one budget", async () => {
    const inner = (from: number) => ({
      strategy: { mode: "fallback" },
      targets: [0, 1, 2].map((i) => ({ provider: "openai", api_key: `k${from + i}` })),
    });
    const config = { strategy: { mode: "fallback" }, targets: [inner(0), inner(3), inner(6)] };
    const { execute, calls } = scriptedUpstreams(Object.fromEntries([...Array(9).keys()].map((i) => [`k${i}`, [500]])));
    await routeRequest(routeTree(config), request, execute, testDeps(new FakeClock()), { maxAttempts: 5 });
    expect(calls).toEqual(["k0", "k1", "k2", "k3", "k4"]);
  });

  it("a budget below 1 still makes the first call", async () => {
    const { config, execute, calls } = failingFallback(3);
    await routeRequest(routeTree(config), request, execute, testDeps(new FakeClock()), { maxAttempts: 0 });
    expect(calls).toEqual(["k0"]);
  });

  it("a success inside the budget is untouched", async () => {
    const { execute, calls } = scriptedUpstreams({ a: [503, 200] });
    const config = { provider: "openai", api_key: "a", retry: { attempts: 3 } };
    const result = await routeRequest(routeTree(config), request, execute, testDeps(new FakeClock()), {
      maxAttempts: 2,
    });
    expect(calls).toEqual(["a", "a"]);
    expect(result.outcome.status).toBe(200);
  });
});
