import { describe, expect, it } from "vitest";
import type { Execute } from "./leaf-attempt.ts";
import { type RouteRequest, routeRequest } from "./router.ts";
import { FakeClock, fallbackConfig, reply, routeTree, testDeps } from "./test-support.ts";

const request: RouteRequest = { metadata: {}, params: { model: "gpt-4o" }, pathname: "/v1/chat/completions" };

/** A fault of the caller's own code is not an upstream failure: the router stops and rethrows it. */
describe("routeRequest: faults (RouterDeps.isFault)", () => {
  const isFault = (error: unknown) => error instanceof TypeError;

  it("rethrows at once: no retry, no fallback, nothing held against the breaker", async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const bug = new TypeError("cannot read properties of undefined");
    const execute: Execute<string> = async (leaf) => {
      calls.push(leaf.path);
      if (leaf.path === "config.targets[0]") throw bug;
      return reply(200, "ok");
    };
    const config = { ...fallbackConfig({}, "a", "b"), retry: { attempts: 3 } };
    const deps = testDeps<string>(clock, { isFault });
    await expect(routeRequest(routeTree(config), request, execute, deps)).rejects.toBe(bug);
    expect(calls).toEqual(["config.targets[0]"]);
    expect(clock.slept).toEqual([]);
    // The target's breaker counted nothing: five more faults still reach it (5 failures would open it).
    for (let i = 0; i < 6; i++) await expect(routeRequest(routeTree(config), request, execute, deps)).rejects.toBe(bug);
    expect(calls).toHaveLength(7);
  });

  it("without isFault the same error is a network failure that falls back", async () => {
    const clock = new FakeClock();
    const execute: Execute<string> = async (leaf) => {
      if (leaf.path === "config.targets[0]") throw new TypeError("boom");
      return reply(200, "ok");
    };
    const result = await routeRequest(routeTree(fallbackConfig({}, "a", "b")), request, execute, testDeps(clock));
    expect(result.outcome).toMatchObject({ status: 200, value: "ok" });
    expect(result.attempts.map((a) => a.errorType)).toEqual(["network_error", null]);
  });
});
