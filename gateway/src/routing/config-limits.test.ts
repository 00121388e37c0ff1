import { describe, expect, it } from "vitest";
import { LIMITS } from "../schemas/limits.ts";
import { describeIssues } from "./config-issues.ts";
import { MAX_TARGETS, validateConfig } from "./config-schema.ts";

/** Issue 10: override_params and config size are held to what providers and the event accept. */

function issuesOf(config: unknown): Record<string, string> {
  const result = validateConfig(config);
  if (result.ok) throw new Error("expected the config to be refused");
  return Object.fromEntries(result.issues.map((issue) => [issue.path, issue.message]));
}

function accepts(config: unknown): void {
  const result = validateConfig(config);
  if (!result.ok) throw new Error(describeIssues(result.issues));
}

const leafWith = (override_params: unknown) => ({
  strategy: { mode: "fallback" },
  targets: [{ provider: "openai", api_key: "sk-1", override_params }],
});

describe("override_params: the types providers accept", () => {
  // The values the fuzzer found served and then dropped from the event log.
  it.each([
    ["a number", 123],
    ["a boolean", true],
    ["an array", ["a"]],
    ["an object", { x: 1 }],
    ["null", null],
    ["an empty string", ""],
    ["an over-long string", "m".repeat(LIMITS.modelName + 1)],
  ])("model as %s → refused at targets[0].override_params.model", (_what, model) => {
    expect(Object.keys(issuesOf(leafWith({ model })))).toEqual(["targets[0].override_params.model"]);
  });

  it("at the root too (a config that is one leaf)", () => {
    expect(issuesOf({ override_params: { model: 123 } })).toHaveProperty(["override_params.model"]);
  });

  it.each([
    ["temperature", "hot"],
    ["temperature", 3],
    ["top_p", 1.5],
    ["max_tokens", 0],
    ["max_tokens", 1.5],
    ["max_tokens", "100"],
    ["n", 0],
    ["stream", "yes"],
    ["presence_penalty", 5],
    ["seed", 0.5],
    ["stop", 7],
    ["logprobs", "true"],
    ["user", 42],
    ["user", "u".repeat(LIMITS.user + 1)],
    ["response_format", "json"],
    ["tools", {}],
    ["dimensions", -1],
    ["encoding_format", "hex"],
  ])("%s: %j → refused at its path", (key, value) => {
    expect(issuesOf(leafWith({ [key]: value }))).toHaveProperty([`targets[0].override_params.${key}`]);
  });

  it("accepts what providers take, and a provider's own parameters", () => {
    accepts(
      leafWith({
        model: "claude-3-5-sonnet-20241022",
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        max_tokens: 1000,
        stream: false,
        stop: ["\n\n"],
        seed: 7,
        response_format: { type: "json_object" },
        user: "alice",
        safe_prompt: true,
        thinking: { type: "enabled", budget_tokens: 1024 },
      }),
    );
  });

  it("unknown keys are bounded: count, key length and nesting depth", () => {
    const many = Object.fromEntries(Array.from({ length: LIMITS.overrideKeys + 1 }, (_, i) => [`k${i}`, i]));
    expect(issuesOf(leafWith(many))).toHaveProperty(["targets[0].override_params"]);
    const longKey = issuesOf(leafWith({ ["k".repeat(LIMITS.overrideKeyLength + 1)]: 1 }));
    expect(Object.keys(longKey)[0]).toMatch(/^targets\[0\]\.override_params\.k+$/);
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    const issues = issuesOf(leafWith({ custom: deep }));
    const [path] = Object.keys(issues);
    expect(path).toMatch(/^targets\[0\]\.override_params\.custom(\.a)+$/);
    expect(issues[path!]).toMatch(/deeper than 16 levels/);
  });
});

describe("config size", () => {
  const fallbackOf = (n: number) => ({
    strategy: { mode: "fallback" },
    targets: Array.from({ length: n }, () => ({ provider: "mock" })),
  });

  it(`at most ${MAX_TARGETS} targets, all levels counted`, () => {
    accepts(fallbackOf(MAX_TARGETS));
    expect(issuesOf(fallbackOf(150))).toEqual({
      targets: `a config has at most ${MAX_TARGETS} targets (all levels counted); this one has 150`,
    });
    const nested = {
      strategy: { mode: "fallback" },
      targets: [fallbackOf(MAX_TARGETS / 2), fallbackOf(MAX_TARGETS / 2)],
    };
    expect(Object.keys(issuesOf(nested))).toEqual(["targets"]);
  });

  it("a million targets is refused without walking them", () => {
    const started = performance.now();
    expect(Object.keys(issuesOf(fallbackOf(1_000_000)))).toEqual(["targets"]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("names, keys and headers are bounded", () => {
    const issues = issuesOf({
      strategy: { mode: "fallback" },
      targets: [
        { provider: "p".repeat(65), api_key: "k" },
        { virtual_key: "v".repeat(129), name: "n".repeat(201) },
        { provider: "openai", forward_headers: Array.from({ length: 65 }, (_, i) => `x-h-${i}`) },
      ],
    });
    expect(Object.keys(issues).sort()).toEqual([
      "targets[0].provider",
      "targets[1].name",
      "targets[1].virtual_key",
      "targets[2].forward_headers",
    ]);
  });
});
