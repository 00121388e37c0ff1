import { describe, expect, it } from "vitest";
import { CircuitBreakers } from "./circuit-breaker.ts";
import type { AttemptOutcome, Execute } from "./leaf-attempt.ts";
import { leavesOf } from "./resolve-config.ts";
import { type RouteRequest, routeRequest } from "./router.ts";
import { FakeClock, fallbackConfig, flush, routeTree, scriptedUpstreams, seededRng, testDeps } from "./test-support.ts";

const request: RouteRequest = { metadata: {}, params: {}, pathname: "/v1/chat/completions" };

const twoTargets = (mode: string) =>
  routeTree({
    strategy: { mode },
    targets: [
      { provider: "openai", api_key: "a" },
      { provider: "openai", api_key: "b" },
    ],
  });

describe("routeRequest with circuit breakers", () => {
  it("a dead target's circuit opens; it is then skipped (not sent), recorded as circuit_open", async () => {
    const clock = new FakeClock();
    const deps = testDeps<string>(clock, { breakers: new CircuitBreakers({ consecutiveFailures: 3 }, clock.now) });
    const { execute, calls } = scriptedUpstreams({ a: [500], b: [200] });
    const tree = twoTargets("fallback");
    for (let i = 0; i < 3; i++) await routeRequest(tree, request, execute, deps);
    expect(calls).toEqual(["a", "b", "a", "b", "a", "b"]);

    calls.length = 0;
    const result = await routeRequest(tree, request, execute, deps);
    expect(calls).toEqual(["b"]);
    expect(result.outcome).toMatchObject({ status: 200, value: "b:200" });
    expect(result.attempts).toEqual([
      { path: "config.targets[0]", provider: "openai", status: 503, latencyMs: 0, errorType: "circuit_open", retry: 0 },
      expect.objectContaining({ path: "config.targets[1]", status: 200 }),
    ]);
  });

  it("after the cooldown one probe reaches the target; its success closes the circuit", async () => {
    const clock = new FakeClock();
    const breakers = new CircuitBreakers({ consecutiveFailures: 2, cooldownMs: 10_000 }, clock.now);
    const deps = testDeps<string>(clock, { breakers });
    const { execute, calls } = scriptedUpstreams({ a: [500, 500, 200], b: [200] });
    const tree = twoTargets("fallback");
    await routeRequest(tree, request, execute, deps);
    await routeRequest(tree, request, execute, deps);
    const key = leavesOf(tree)[0]!.breakerKey;
    expect(breakers.state(key)).toBe("open");

    clock.advance(10_000);
    calls.length = 0;
    const probed = await routeRequest(tree, request, execute, deps);
    expect(calls).toEqual(["a"]);
    expect(probed.outcome).toMatchObject({ value: "a:200" });
    expect(breakers.state(key)).toBe("closed");
  });

  it("a single target with an open circuit answers 503 circuit_open without calling it", async () => {
    const clock = new FakeClock();
    const breakers = new CircuitBreakers({ consecutiveFailures: 1 }, clock.now);
    const { execute, calls } = scriptedUpstreams({ a: [500] });
    const tree = routeTree({ provider: "openai", api_key: "a" });
    await routeRequest(tree, request, execute, testDeps(clock, { breakers }));
    const result = await routeRequest(tree, request, execute, testDeps(clock, { breakers }));
    expect(calls).toEqual(["a"]);
    expect(result.outcome).toMatchObject({ kind: "failure", status: 503, errorType: "circuit_open" });
    expect(result.retryCount).toBe(0);
  });

  it("loadbalance steers around an open circuit while another target is healthy", async () => {
    const clock = new FakeClock();
    const breakers = new CircuitBreakers({ consecutiveFailures: 1 }, clock.now);
    const tree = twoTargets("loadbalance");
    breakers.acquire(leavesOf(tree)[0]!.breakerKey)!.report(500);
    const { execute, calls } = scriptedUpstreams({ a: [200], b: [200] });
    const deps = testDeps<string>(clock, { breakers, rng: seededRng(5) });
    for (let i = 0; i < 200; i++) await routeRequest(tree, request, execute, deps);
    expect(new Set(calls)).toEqual(new Set(["b"]));
  });

  it("fallback whose last target is open returns the last answer actually received", async () => {
    const clock = new FakeClock();
    const breakers = new CircuitBreakers({ consecutiveFailures: 1 }, clock.now);
    const tree = twoTargets("fallback");
    breakers.acquire(leavesOf(tree)[1]!.breakerKey)!.report(500);
    const { execute } = scriptedUpstreams({ a: [429] });
    const result = await routeRequest(tree, request, execute, testDeps(clock, { breakers }));
    expect(result.outcome).toMatchObject({ kind: "response", status: 429, value: "a:429" });
    expect(result.leaf.path).toBe("config.targets[0]");
    expect(result.attempts.map((a) => a.errorType)).toEqual(["upstream_error", "circuit_open"]);
  });

  it("a circuit that opens between retries stops them; the last real answer stands", async () => {
    const clock = new FakeClock();
    const breakers = new CircuitBreakers({ consecutiveFailures: 2 }, clock.now);
    const { execute, calls } = scriptedUpstreams({ a: [503] });
    const tree = routeTree({ provider: "openai", api_key: "a", retry: { attempts: 5 } });
    const result = await routeRequest(tree, request, execute, testDeps(clock, { breakers }));
    expect(calls).toEqual(["a", "a"]);
    expect(result.outcome).toMatchObject({ kind: "response", status: 503 });
    expect(result.retryCount).toBe(1);
  });
});

describe("routeRequest when the client goes away", () => {
  it("stops at once with 499, tries no fallback, and does not count against the upstream", async () => {
    const clock = new FakeClock();
    const client = new AbortController();
    const breakers = new CircuitBreakers({ consecutiveFailures: 1 }, clock.now);
    const calls: string[] = [];
    const execute: Execute<string> = (leaf) => {
      calls.push(leaf.apiKey!);
      return new Promise<AttemptOutcome<string>>(() => {}); // ignores its signal: the router must not wait for it
    };
    const tree = twoTargets("fallback");
    const routed = routeRequest(tree, request, execute, testDeps(clock, { breakers, signal: client.signal }));
    await flush();
    client.abort();
    const result = await routed;
    expect(result.outcome).toMatchObject({ kind: "failure", status: 499, errorType: "aborted" });
    expect(calls).toEqual(["a"]);
    expect(breakers.snapshot()).toEqual([expect.objectContaining({ state: "closed", windowCalls: 0 })]);
  });

  it("a client that leaves during a backoff ends the retries", async () => {
    const clock = new FakeClock();
    const client = new AbortController();
    const { execute, calls } = scriptedUpstreams({ a: [503] });
    const tree = routeTree({ provider: "openai", api_key: "a", retry: { attempts: 3 } });
    const routed = routeRequest(tree, request, execute, testDeps(clock, { sleep: clock.sleep, signal: client.signal }));
    await flush();
    client.abort();
    const result = await routed;
    expect(calls).toEqual(["a"]);
    expect(result.outcome.status).toBe(503);
  });

  it("a client that leaves during a backoff stops a fallback too: nothing more is tried or recorded", async () => {
    const clock = new FakeClock();
    const client = new AbortController();
    const { execute, calls } = scriptedUpstreams({ a: [503], b: [200] });
    const tree = routeTree({ ...fallbackConfig({}, "a", "b"), retry: { attempts: 3 } });
    const routed = routeRequest(tree, request, execute, testDeps(clock, { sleep: clock.sleep, signal: client.signal }));
    await flush();
    client.abort();
    const result = await routed;
    expect(calls).toEqual(["a"]);
    expect(result.attempts).toHaveLength(1);
    expect(result.leaf.path).toBe("config.targets[0]");
  });
});
