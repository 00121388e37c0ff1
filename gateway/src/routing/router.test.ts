// biome-ignore-all lint/suspicious/noThenProperty: conditional routes name their target with the wire key "then".
import { describe, expect, it, vi } from "vitest";
import { NoRouteError, type RouteRequest, routeRequest } from "./router.ts";
import { FakeClock, fallbackConfig, routeTree, scriptedUpstreams, seededRng, testDeps } from "./test-support.ts";

const request: RouteRequest = { metadata: {}, params: { model: "gpt-4o" }, pathname: "/v1/chat/completions" };

describe("routeRequest: strategies", () => {
  it("single: the one child", async () => {
    const { execute } = scriptedUpstreams({ a: [200] });
    const tree = routeTree({ strategy: { mode: "single" }, targets: [{ provider: "openai", api_key: "a" }] });
    const result = await routeRequest(tree, request, execute, testDeps(new FakeClock()));
    expect(result.outcome).toMatchObject({ kind: "response", status: 200, value: "a:200" });
    expect(result.leaf.path).toBe("config.targets[0]");
  });

  it("fallback: tries in order until a 2xx; records every attempt with its path", async () => {
    const { execute, calls } = scriptedUpstreams({ a: [500], b: [502], c: [200] });
    const discard = vi.fn();
    const result = await routeRequest(
      routeTree(fallbackConfig({}, "a", "b", "c")),
      request,
      execute,
      testDeps(new FakeClock(), { discard }),
    );
    expect(calls).toEqual(["a", "b", "c"]);
    expect(result.outcome).toMatchObject({ status: 200, value: "c:200" });
    expect(result.leaf.path).toBe("config.targets[2]");
    expect(result.attempts.map((a) => [a.path, a.status, a.errorType])).toEqual([
      ["config.targets[0]", 500, "upstream_error"],
      ["config.targets[1]", 502, "upstream_error"],
      ["config.targets[2]", 200, null],
    ]);
    expect(discard.mock.calls).toEqual([["a:500"], ["b:502"]]);
  });

  it("fallback: the default moves on for any non-2xx, 4xx included", async () => {
    const { execute } = scriptedUpstreams({ a: [400], b: [200] });
    const result = await routeRequest(
      routeTree(fallbackConfig({}, "a", "b")),
      request,
      execute,
      testDeps(new FakeClock()),
    );
    expect(result.outcome.status).toBe(200);
  });

  it("fallback: on_status_codes limits which statuses move on", async () => {
    const strategy = { on_status_codes: [429] };
    const stays = scriptedUpstreams({ a: [500], b: [200] });
    const stayed = await routeRequest(
      routeTree(fallbackConfig(strategy, "a", "b")),
      request,
      stays.execute,
      testDeps(new FakeClock()),
    );
    expect(stayed.outcome).toMatchObject({ status: 500, value: "a:500" });
    expect(stays.calls).toEqual(["a"]);

    const moves = scriptedUpstreams({ a: [429], b: [200] });
    const moved = await routeRequest(
      routeTree(fallbackConfig(strategy, "a", "b")),
      request,
      moves.execute,
      testDeps(new FakeClock()),
    );
    expect(moved.outcome).toMatchObject({ status: 200, value: "b:200" });
  });

  it("fallback: a thrown (network) error always moves on", async () => {
    const { execute } = scriptedUpstreams({
      a: [Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:443"), { code: "ECONNREFUSED" })],
      b: [200],
    });
    const result = await routeRequest(
      routeTree(fallbackConfig({ on_status_codes: [429] }, "a", "b")),
      request,
      execute,
      testDeps(new FakeClock()),
    );
    expect(result.outcome.status).toBe(200);
    expect(result.attempts[0]).toMatchObject({ status: 502, errorType: "network_error" });
  });

  it("fallback: the last target's failure is returned when every target fails", async () => {
    const { execute } = scriptedUpstreams({ a: [500], b: [503] });
    const result = await routeRequest(
      routeTree(fallbackConfig({}, "a", "b")),
      request,
      execute,
      testDeps(new FakeClock()),
    );
    expect(result.outcome).toMatchObject({ kind: "response", status: 503, value: "b:503" });
    expect(result.leaf.path).toBe("config.targets[1]");
  });

  it("a network error on the only target is a 502 failure keeping the error (message names no host)", async () => {
    const error = Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:443"), { code: "ECONNREFUSED" });
    const { execute } = scriptedUpstreams({ a: [error] });
    const result = await routeRequest(
      routeTree({ provider: "openai", api_key: "a" }),
      request,
      execute,
      testDeps(new FakeClock()),
    );
    expect(result.outcome).toEqual({
      kind: "failure",
      status: 502,
      headers: {},
      errorType: "network_error",
      message: "could not reach openai (ECONNREFUSED)",
      cause: error,
    });
  });

  it("loadbalance: 10,000 routed requests follow the weights within 2%", async () => {
    const { execute, calls } = scriptedUpstreams({ a: [200], b: [200], z: [200] });
    const tree = routeTree({
      strategy: { mode: "loadbalance" },
      targets: [
        { provider: "openai", api_key: "a", weight: 3 },
        { provider: "openai", api_key: "b", weight: 1 },
        { provider: "openai", api_key: "z", weight: 0 },
      ],
    });
    const deps = testDeps<string>(new FakeClock(), { rng: seededRng(2024) });
    for (let i = 0; i < 10_000; i++) await routeRequest(tree, request, execute, deps);
    const share = (id: string) => calls.filter((c) => c === id).length / calls.length;
    expect(Math.abs(share("a") - 0.75)).toBeLessThan(0.02);
    expect(Math.abs(share("b") - 0.25)).toBeLessThan(0.02);
    expect(share("z")).toBe(0);
  });

  it("loadbalance: sticky_key keeps a user on one target", async () => {
    const { execute } = scriptedUpstreams({ a: [200], b: [200], c: [200] });
    const tree = routeTree({
      strategy: { mode: "loadbalance", sticky_key: "metadata._user" },
      targets: ["a", "b", "c"].map((key) => ({ provider: "openai", api_key: key })),
    });
    const deps = testDeps<string>(new FakeClock(), { rng: seededRng(9) });
    for (const user of ["u1", "u2", "u3", "u4"]) {
      const served = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const result = await routeRequest(tree, { ...request, metadata: { _user: user } }, execute, deps);
        served.add(result.leaf.path);
      }
      expect(served.size).toBe(1);
    }
  });

  it("conditional: the matching target; no match and no default throws NoRouteError", async () => {
    const { execute } = scriptedUpstreams({ p: [200], f: [200] });
    const tree = routeTree({
      strategy: {
        mode: "conditional",
        conditions: [{ query: { "metadata.plan": "paid" }, then: "pro" }],
      },
      targets: [
        { name: "free", virtual_key: "f" },
        { name: "pro", virtual_key: "p" },
      ],
    });
    const paid = await routeRequest(
      tree,
      { ...request, metadata: { plan: "paid" } },
      execute,
      testDeps(new FakeClock()),
    );
    expect(paid.leaf.path).toBe("config.targets[1]");
    await expect(routeRequest(tree, request, execute, testDeps(new FakeClock()))).rejects.toThrow(
      new NoRouteError("config", "no conditional route matched and no default is set", []),
    );
  });

  it("nested groups: a loadbalance of fallbacks reports the inner path", async () => {
    const { execute } = scriptedUpstreams({ a: [500], b: [200] });
    const tree = routeTree({
      strategy: { mode: "loadbalance" },
      targets: [
        {
          strategy: { mode: "fallback" },
          targets: [
            { provider: "openai", api_key: "a" },
            { provider: "x", api_key: "b" },
          ],
        },
        { provider: "openai", api_key: "never", weight: 0 },
      ],
    });
    const result = await routeRequest(tree, request, execute, testDeps(new FakeClock()));
    expect(result.leaf.path).toBe("config.targets[0].targets[1]");
    expect(result.attempts.map((a) => a.provider)).toEqual(["openai", "x"]);
  });
});
