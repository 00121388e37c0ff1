import { describe, expect, it } from "vitest";
import type { AttemptOutcome, Execute } from "./leaf-attempt.ts";
import { type RouteRequest, routeRequest } from "./router.ts";
import { FakeClock, fallbackConfig, reply, routeTree, scriptedUpstreams, testDeps } from "./test-support.ts";

const request: RouteRequest = { metadata: {}, params: { model: "gpt-4o" }, pathname: "/v1/chat/completions" };

describe("routeRequest: retries", () => {
  const retrying = (retry: Record<string, unknown>, ...keys: string[]) =>
    keys.length === 1 ? { provider: "openai", api_key: keys[0], retry } : { ...fallbackConfig({}, ...keys), retry };

  it("honours Retry-After, then succeeds; retryCount is the final leaf's retries", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const execute: Execute<string> = async () =>
      ++calls === 1 ? reply(429, "limited", { "Retry-After": "2" }) : reply(200, "ok");
    const result = await routeRequest(routeTree(retrying({ attempts: 3 }, "a")), request, execute, testDeps(clock));
    expect(result.outcome).toMatchObject({ status: 200, value: "ok" });
    expect(clock.slept).toEqual([2000]);
    expect(result.retryCount).toBe(1);
    expect(result.attempts.map((a) => [a.status, a.retry])).toEqual([
      [429, 0],
      [200, 1],
    ]);
  });

  it("a Retry-After beyond the cap gives up at once and returns the 429", async () => {
    const clock = new FakeClock();
    const execute: Execute<string> = async () => reply(429, "limited", { "retry-after": "3600" });
    const result = await routeRequest(routeTree(retrying({ attempts: 3 }, "a")), request, execute, testDeps(clock));
    expect(result.outcome).toMatchObject({ status: 429, value: "limited" });
    expect(clock.slept).toEqual([]);
    expect(result.attempts).toHaveLength(1);
  });

  it("exhausts the attempts with jittered exponential backoff", async () => {
    const clock = new FakeClock();
    const { execute } = scriptedUpstreams({ a: [503] });
    const deps = testDeps<string>(clock, { rng: () => 0.5 });
    const result = await routeRequest(routeTree(retrying({ attempts: 3 }, "a")), request, execute, deps);
    expect(result.attempts.map((a) => a.retry)).toEqual([0, 1, 2, 3]);
    expect(result.retryCount).toBe(3);
    expect(clock.slept).toEqual([50, 100, 200]);
    expect(result.outcome.status).toBe(503);
  });

  it("does not retry statuses outside on_status_codes", async () => {
    const { execute, calls } = scriptedUpstreams({ a: [400] });
    const result = await routeRequest(
      routeTree(retrying({ attempts: 3 }, "a")),
      request,
      execute,
      testDeps(new FakeClock()),
    );
    expect(calls).toHaveLength(1);
    expect(result.retryCount).toBe(0);
  });

  it("retries a network error (502 is a default retry status)", async () => {
    const { execute } = scriptedUpstreams({ a: [new Error("socket hang up"), 200] });
    const result = await routeRequest(
      routeTree(retrying({ attempts: 1 }, "a")),
      request,
      execute,
      testDeps(new FakeClock()),
    );
    expect(result.outcome.status).toBe(200);
    expect(result.attempts.map((a) => a.errorType)).toEqual(["network_error", null]);
  });

  it("retries, then falls back: attempts hold all of it, retryCount only the final leaf's", async () => {
    const { execute, calls } = scriptedUpstreams({ a: [500], b: [200] });
    const result = await routeRequest(
      routeTree(retrying({ attempts: 2 }, "a", "b")),
      request,
      execute,
      testDeps(new FakeClock()),
    );
    expect(calls).toEqual(["a", "a", "a", "b"]);
    expect(result.retryCount).toBe(0);
    expect(result.attempts.map((a) => `${a.path}#${a.retry}`)).toEqual([
      "config.targets[0]#0",
      "config.targets[0]#1",
      "config.targets[0]#2",
      "config.targets[1]#0",
    ]);
  });
});

describe("routeRequest: request_timeout", () => {
  /** An upstream that answers only when its signal aborts (as undici does). */
  const hanging: Execute<string> = (_leaf, signal) =>
    new Promise<AttemptOutcome<string>>((_resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason));
    });

  it("an attempt that runs over becomes a 408 and its call is aborted", async () => {
    const clock = new FakeClock();
    const signals: AbortSignal[] = [];
    const execute: Execute<string> = (leaf, signal) => {
      signals.push(signal);
      return hanging(leaf, signal);
    };
    const tree = routeTree({ provider: "openai", api_key: "a", request_timeout: 1500 });
    const result = await routeRequest(tree, request, execute, testDeps(clock));
    expect(result.outcome).toMatchObject({ kind: "failure", status: 408, errorType: "timeout" });
    expect(result.outcome.kind === "failure" && result.outcome.message).toMatch(/request_timeout of 1500 ms/);
    expect(clock.slept).toEqual([1500]);
    expect(signals[0]!.aborted).toBe(true);
    expect(result.attempts[0]).toMatchObject({ status: 408, errorType: "timeout" });
  });

  it("fallback on 408 moves to the next target", async () => {
    const clock = new FakeClock();
    const execute: Execute<string> = (leaf, signal) =>
      leaf.apiKey === "slow" ? hanging(leaf, signal) : Promise.resolve(reply(200, "fast"));
    const tree = routeTree({
      strategy: { mode: "fallback", on_status_codes: [408] },
      targets: [
        { provider: "openai", api_key: "slow", request_timeout: 100 },
        { provider: "openai", api_key: "fast" },
      ],
    });
    const result = await routeRequest(tree, request, execute, testDeps(clock));
    expect(result.outcome).toMatchObject({ status: 200, value: "fast" });
    expect(result.attempts.map((a) => a.status)).toEqual([408, 200]);
  });

  it("a call that answers in time wins, and its timer is cancelled", async () => {
    const clock = new FakeClock();
    const { execute } = scriptedUpstreams({ a: [200] });
    const tree = routeTree({ provider: "openai", api_key: "a", request_timeout: 1500 });
    const result = await routeRequest(tree, request, execute, testDeps(clock, { sleep: clock.sleep }));
    expect(result.outcome.status).toBe(200);
    expect(clock.pendingTimers).toBe(0);
  });
});
