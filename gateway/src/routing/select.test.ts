// biome-ignore-all lint/suspicious/noThenProperty: conditional routes name their target with the wire key "then".
import { describe, expect, it } from "vitest";
import type { ConditionContext } from "./conditions.ts";
import type { RouteNode } from "./resolve-config.ts";
import { pickConditional, pickLoadbalance, pickWeighted, stickyValueOf, unitHash } from "./select.ts";
import { routeTree, seededRng } from "./test-support.ts";

const ALL = [true, true, true];

function shares(weights: number[], picks: number, pick: (i: number) => number): number[] {
  const counts = weights.map(() => 0);
  for (let i = 0; i < picks; i++) counts[pick(i)]!++;
  return counts.map((count) => count / picks);
}

describe("pickWeighted / pickLoadbalance", () => {
  it("10,000 seeded picks land within 2% of the relative weights", () => {
    const weights = [5, 3, 2];
    const rng = seededRng(42);
    const observed = shares(weights, 10_000, () =>
      pickLoadbalance({ weights, available: ALL, rng, stickyValue: null }),
    );
    [0.5, 0.3, 0.2].forEach((expected, i) => {
      expect(Math.abs(observed[i]! - expected)).toBeLessThan(0.02);
    });
  });

  it("relative weights: fractions and integers are the same distribution", () => {
    expect(pickWeighted([0.7, 0.3], 0.69)).toBe(0);
    expect(pickWeighted([7, 3], 0.69)).toBe(0);
    expect(pickWeighted([0.7, 0.3], 0.71)).toBe(1);
  });

  it("a weight of 0 is never picked, at any draw", () => {
    const rng = seededRng(7);
    for (let i = 0; i < 10_000; i++) {
      expect(pickLoadbalance({ weights: [1, 0, 1], available: ALL, rng, stickyValue: null })).not.toBe(1);
    }
    expect(pickWeighted([0, 1], 0)).toBe(1);
    expect(pickWeighted([1, 0], 0.999_999_999)).toBe(0);
    expect(pickWeighted([0, 0], 0.5)).toBe(-1);
  });

  it("skips unavailable (circuit-open) children while any positive-weight child is available", () => {
    const rng = seededRng(3);
    for (let i = 0; i < 1000; i++) {
      expect(pickLoadbalance({ weights: [9, 1], available: [false, true], rng, stickyValue: null })).toBe(1);
    }
    // Every positive-weight child is open: pick among all rather than none (the leaf records circuit_open).
    expect([0, 1]).toContain(pickLoadbalance({ weights: [9, 1], available: [false, false], rng, stickyValue: null }));
    // A zero-weight child stays unpicked even when it alone is available.
    expect(pickLoadbalance({ weights: [1, 0], available: [false, true], rng, stickyValue: null })).toBe(0);
  });
});

describe("sticky loadbalance", () => {
  const weights = [1, 1, 2];
  const neverCalled = () => {
    throw new Error("a sticky pick must not draw randomness");
  };

  it("the same value always picks the same target", () => {
    for (const user of ["alice", "bob", "user-1", "user-2", "ünïcødé", "42"]) {
      const first = pickLoadbalance({ weights, available: ALL, rng: neverCalled, stickyValue: user });
      for (let i = 0; i < 50; i++) {
        expect(pickLoadbalance({ weights, available: ALL, rng: neverCalled, stickyValue: user })).toBe(first);
      }
    }
  });

  it("distinct values spread over the weights (10,000 users within 2%)", () => {
    const observed = shares(weights, 10_000, (i) =>
      pickLoadbalance({ weights, available: ALL, rng: neverCalled, stickyValue: `user-${i}` }),
    );
    [0.25, 0.25, 0.5].forEach((expected, i) => {
      expect(Math.abs(observed[i]! - expected)).toBeLessThan(0.02);
    });
  });

  it("a value whose target is unavailable moves, and comes back when it recovers", () => {
    const user = "carol";
    const home = pickLoadbalance({ weights, available: ALL, rng: neverCalled, stickyValue: user });
    const away = ALL.map((_, i) => i !== home);
    const elsewhere = pickLoadbalance({ weights, available: away, rng: neverCalled, stickyValue: user });
    expect(elsewhere).not.toBe(home);
    expect(pickLoadbalance({ weights, available: away, rng: neverCalled, stickyValue: user })).toBe(elsewhere);
    expect(pickLoadbalance({ weights, available: ALL, rng: neverCalled, stickyValue: user })).toBe(home);
  });

  it("unitHash is FNV-1a + fmix32, pinned so every replica and release agrees, and in [0, 1)", () => {
    // Computed independently (Python) from the algorithm's definition.
    expect(unitHash("alice")).toBe(0.9143804381601512);
    expect(unitHash("user-1")).toBe(0.4670340372249484);
    expect(unitHash("")).toBe(0.6689221884589642);
    for (let i = 0; i < 1000; i++) expect(unitHash(`k${i}`)).toBeLessThan(1);
  });

  it("stickyValueOf reads metadata and params, and falls back to random when absent", () => {
    const ctx: ConditionContext = { metadata: { _user: "u1", empty: "" }, params: { user: 7 }, url: { pathname: "/" } };
    expect(stickyValueOf("metadata._user", ctx)).toBe("u1");
    expect(stickyValueOf("params.user", ctx)).toBe("7");
    expect(stickyValueOf("metadata.empty", ctx)).toBeNull();
    expect(stickyValueOf("metadata.none", ctx)).toBeNull();
    expect(stickyValueOf(null, ctx)).toBeNull();
  });
});

describe("pickConditional", () => {
  const tree = routeTree({
    strategy: {
      mode: "conditional",
      conditions: [
        { query: { "metadata.plan": "paid" }, then: "pro" },
        { query: { "params.model": { $regex: "^gpt" } }, then: "openai" },
        { query: { "metadata.plan": "paid" }, then: "basic" },
      ],
    },
    targets: [
      { name: "basic", virtual_key: "b" },
      { name: "pro", virtual_key: "p" },
      { name: "openai", virtual_key: "o" },
    ],
  }) as Extract<RouteNode, { kind: "group" }>;
  const ctx = (metadata: Record<string, string>, model = "claude"): ConditionContext => ({
    metadata,
    params: { model },
    url: { pathname: "/v1/chat/completions" },
  });

  it("the first matching condition wins", () => {
    expect(pickConditional(tree.strategy, ctx({ plan: "paid" }, "gpt-4o"))).toEqual({ ok: true, index: 1 });
    expect(pickConditional(tree.strategy, ctx({ plan: "free" }, "gpt-4o"))).toEqual({ ok: true, index: 2 });
  });

  it("no match and no default is a named failure", () => {
    expect(pickConditional(tree.strategy, ctx({ plan: "free" }))).toEqual({
      ok: false,
      message: "no conditional route matched and no default is set",
    });
  });

  it("no match falls to the default", () => {
    const withDefault = { ...tree.strategy, defaultIndex: 0 };
    expect(pickConditional(withDefault, ctx({ plan: "free" }))).toEqual({ ok: true, index: 0 });
  });
});
