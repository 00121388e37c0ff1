// biome-ignore-all lint/suspicious/noThenProperty: conditional routes name their target with the wire key "then".
import { describe, expect, it } from "vitest";
import { describeIssues } from "./config-issues.ts";
import { MAX_TARGET_DEPTH, validateConfig } from "./config-schema.ts";

function issuesOf(config: unknown): Record<string, string> {
  const result = validateConfig(config);
  if (result.ok) throw new Error("expected the config to be refused");
  return Object.fromEntries(result.issues.map((issue) => [issue.path, issue.message]));
}

function accepts(config: unknown): void {
  const result = validateConfig(config);
  if (!result.ok) throw new Error(describeIssues(result.issues));
}

// Configs as Portkey's documentation writes them; each must parse unchanged.
const PORTKEY_DOC_CONFIGS: Record<string, unknown> = {
  fallback: {
    strategy: { mode: "fallback" },
    targets: [
      { virtual_key: "openai-virtual-key" },
      { virtual_key: "anthropic-virtual-key", override_params: { model: "claude-3-opus-20240229", max_tokens: 1000 } },
    ],
  },
  "fallback on status codes": {
    strategy: { mode: "fallback", on_status_codes: [429] },
    targets: [{ provider: "openai", api_key: "sk-1" }, { virtual_key: "azure-vk" }],
  },
  loadbalance: {
    strategy: { mode: "loadbalance" },
    targets: [
      { virtual_key: "openai-vk", weight: 0.7 },
      { virtual_key: "azure-vk", weight: 0.3 },
    ],
  },
  conditional: JSON.parse(`{
    "strategy": {
      "mode": "conditional",
      "conditions": [
        { "query": { "metadata.user_plan": { "$eq": "paid" } }, "then": "finetuned-gpt4" },
        { "query": { "metadata.user_plan": { "$eq": "free" } }, "then": "base-gpt4" }
      ],
      "default": "base-gpt4"
    },
    "targets": [
      { "name": "finetuned-gpt4", "virtual_key": "xx", "override_params": { "model": "ft:gpt4-xxxxx" } },
      { "name": "base-gpt4", "virtual_key": "yy", "override_params": { "model": "gpt-4" } }
    ]
  }`),
  "retry and cache": { retry: { attempts: 5 }, cache: { mode: "semantic", max_age: 60 }, virtual_key: "vk" },
  "retry on codes with retry-after": {
    retry: { attempts: 3, on_status_codes: [429], use_retry_after_header: true },
    provider: "openai",
    api_key: "sk",
  },
  "request timeout with fallback on 408": {
    strategy: { mode: "fallback", on_status_codes: [408] },
    request_timeout: 10_000,
    targets: [{ virtual_key: "a", request_timeout: 2_000 }, { virtual_key: "b" }],
  },
  "nested loadbalance of fallbacks": {
    strategy: { mode: "loadbalance" },
    targets: [
      {
        strategy: { mode: "fallback" },
        weight: 2,
        targets: [
          { provider: "openai", api_key: "a" },
          { provider: "anthropic", api_key: "b" },
        ],
      },
      { provider: "groq", api_key: "c" },
    ],
  },
  azure: {
    provider: "azure-openai",
    api_key: "k",
    resource_name: "res",
    deployment_id: "dep",
    api_version: "2024-02-01",
  },
  bedrock: {
    provider: "bedrock",
    aws_region: "us-east-1",
    aws_access_key_id: "AKIA",
    aws_secret_access_key: "secret",
    aws_session_token: "token",
  },
  vertex: { provider: "vertex-ai", api_key: "ya29", vertex_project_id: "p", vertex_region: "us-central1" },
  "custom host and forward headers": {
    provider: "openai",
    custom_host: "http://localhost:11434/v1",
    forward_headers: ["x-team", "X-Trace"],
  },
  guardrails: {
    input_guardrails: ["pg-abc123"],
    output_guardrails: [{ "default.contains": { operator: "none", words: ["Apple"] }, deny: true }],
    before_request_hooks: [
      {
        type: "guardrail",
        id: "my-guardrail",
        checks: [{ id: "default.regexMatch", parameters: { regex: "^a", not: false } }],
        deny: true,
        on_fail: { feedback: { value: -10, weight: 1 } },
        on_success: { feedback: { value: 10, weight: 1 } },
      },
    ],
    after_request_hooks: [{ id: "pg-saved" }],
    virtual_key: "vk",
  },
  "single with one target": { strategy: { mode: "single" }, targets: [{ virtual_key: "vk" }] },
  "root settings only (provider from headers)": { retry: { attempts: 2 } },
  "sticky loadbalance": {
    strategy: { mode: "loadbalance", sticky_key: "metadata._user" },
    targets: [{ virtual_key: "a" }, { virtual_key: "b" }],
  },
};

describe("validateConfig accepts Portkey's documented configs", () => {
  for (const [name, config] of Object.entries(PORTKEY_DOC_CONFIGS)) {
    it(name, () => accepts(config));
  }

  it("applies defaults: weight 1, retry codes [429,500,502,503,504], use_retry_after_header", () => {
    const result = validateConfig({ retry: { attempts: 2 }, provider: "openai" });
    expect(result.ok && result.config).toMatchObject({
      weight: 1,
      retry: { attempts: 2, on_status_codes: [429, 500, 502, 503, 504], use_retry_after_header: true },
    });
  });
});

describe("validateConfig refuses bad configs, naming every failing path", () => {
  it("an unknown strategy mode", () => {
    expect(issuesOf({ strategy: { mode: "roundrobin" }, targets: [{ provider: "openai" }] })).toEqual({
      "strategy.mode": expect.stringContaining('"loadbalance"'),
    });
  });

  it("loadbalance where every weight is zero", () => {
    const config = {
      strategy: { mode: "loadbalance" },
      targets: [
        { provider: "a", weight: 0 },
        { provider: "b", weight: 0 },
      ],
    };
    expect(issuesOf(config)).toEqual({ targets: "loadbalance needs at least one target with weight > 0" });
  });

  it("typos, each at its own path with a suggestion, all listed together", () => {
    const config = {
      strategy: { mode: "fallback", on_status_code: [500] },
      targets: [
        { provider: "openai", wieght: 2, overide_params: {} },
        { virtual_key: "vk", retry: { attempt: 2 } },
      ],
    };
    expect(issuesOf(config)).toEqual({
      "strategy.on_status_code": 'unknown key; did you mean "on_status_codes"?',
      "targets[0].wieght": 'unknown key; did you mean "weight"?',
      "targets[0].overide_params": 'unknown key; did you mean "override_params"?',
      "targets[1].retry.attempt": 'unknown key; did you mean "attempts"?',
      "targets[1].retry.attempts": expect.any(String),
    });
  });

  it("out-of-range values", () => {
    const config = {
      strategy: { mode: "loadbalance" },
      targets: [
        { provider: "a", weight: -1, retry: { attempts: 11 }, request_timeout: 0 },
        { provider: "b", cache: { mode: "exact", max_age: -5 }, retry: { attempts: 1, on_status_codes: [42] } },
      ],
    };
    expect(Object.keys(issuesOf(config)).sort()).toEqual([
      "targets[0].request_timeout",
      "targets[0].retry.attempts",
      "targets[0].weight",
      "targets[1].cache.max_age",
      "targets[1].cache.mode",
      "targets[1].retry.on_status_codes[0]",
    ]);
  });

  it("conditional naming targets that do not exist", () => {
    const config = {
      strategy: {
        mode: "conditional",
        conditions: [{ query: { "metadata.plan": "paid" }, then: "pro" }],
        default: "free",
      },
      targets: [{ name: "basic", provider: "openai" }],
    };
    expect(issuesOf(config)).toEqual({
      "strategy.conditions[0].then": 'no target named "pro" (names: "basic")',
      "strategy.default": 'no target named "free" (names: "basic")',
    });
  });

  it("conditional queries: invalid regex, unknown operator, unknown field, $in without an array", () => {
    const query = {
      "metadata.tier": { $regex: "([a-z" },
      $or: [{ "params.model": { $startsWith: "gpt" } }, { "body.model": "x" }],
      "params.n": { $in: 3 },
    };
    const config = {
      strategy: { mode: "conditional", conditions: [{ query, then: "a" }] },
      targets: [{ name: "a", provider: "openai" }],
    };
    expect(Object.keys(issuesOf(config))).toEqual([
      'strategy.conditions[0].query["metadata.tier"].$regex',
      'strategy.conditions[0].query.$or[0]["params.model"].$startsWith',
      'strategy.conditions[0].query.$or[1]["body.model"]',
      'strategy.conditions[0].query["params.n"].$in',
    ]);
  });

  it("strategy keys under a mode they do not apply to", () => {
    const config = {
      strategy: { mode: "fallback", conditions: [{ query: {}, then: "a" }], sticky_key: "metadata._user" },
      targets: [{ name: "a", provider: "openai" }],
    };
    expect(issuesOf(config)).toEqual({
      "strategy.conditions": 'only applies to mode "conditional"',
      "strategy.sticky_key": 'only applies to mode "loadbalance"',
    });
    expect(issuesOf({ strategy: { mode: "conditional" }, targets: [{ provider: "a" }] })).toEqual({
      "strategy.conditions": 'mode "conditional" needs conditions',
    });
  });

  it("a leaf target without provider or virtual_key", () => {
    const config = { strategy: { mode: "fallback" }, targets: [{ provider: "openai" }, { api_key: "sk-only" }] };
    expect(issuesOf(config)).toEqual({
      "targets[1]": "a target needs provider (with api_key), virtual_key or prompt_id",
    });
  });

  it("leaf-only keys on a target with children (nothing inherits them)", () => {
    const config = {
      provider: "openai",
      api_key: "sk",
      strategy: { mode: "fallback" },
      targets: [{ virtual_key: "v" }],
    };
    expect(issuesOf(config)).toEqual({
      provider: "is not inherited by targets; set it on each leaf target",
      api_key: "is not inherited by targets; set it on each leaf target",
    });
  });

  it("targets without a strategy, a strategy without targets", () => {
    expect(issuesOf({ targets: [{ provider: "a" }] })).toEqual({ strategy: "a target with targets needs a strategy" });
    expect(issuesOf({ strategy: { mode: "fallback" }, targets: [] })).toEqual({
      targets: "a strategy needs at least one target",
    });
  });

  it("a custom host that is not an http(s) URL, a bad header name, a bad sticky key", () => {
    const config = {
      strategy: { mode: "loadbalance", sticky_key: "user" },
      targets: [{ provider: "a", custom_host: "file:///etc/passwd", forward_headers: ["ok", "bad header"] }],
    };
    expect(Object.keys(issuesOf(config)).sort()).toEqual([
      "strategy.sticky_key",
      "targets[0].custom_host",
      "targets[0].forward_headers[1]",
    ]);
  });

  it("guardrail typos", () => {
    const config = {
      virtual_key: "vk",
      input_guardrails: [{ "default.contains": { words: ["a"] }, dney: true }],
      before_request_hooks: [{ id: "g", type: "validator", checks: [{ id: "default.x", parameter: {} }] }],
    };
    expect(Object.keys(issuesOf(config)).sort()).toEqual([
      "before_request_hooks[0].checks[0].parameter",
      "before_request_hooks[0].type",
      "input_guardrails[0].dney",
    ]);
  });

  it(`targets nested deeper than ${MAX_TARGET_DEPTH} levels`, () => {
    let config: Record<string, unknown> = { provider: "openai" };
    for (let i = 0; i < MAX_TARGET_DEPTH + 1; i++) config = { strategy: { mode: "single" }, targets: [config] };
    expect(Object.values(issuesOf(config))).toEqual([`targets nest deeper than ${MAX_TARGET_DEPTH} levels`]);
  });
});
