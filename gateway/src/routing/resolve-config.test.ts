// biome-ignore-all lint/suspicious/noThenProperty: conditional routes name their target with the wire key "then".
import { describe, expect, it } from "vitest";
import { leavesOf, NO_RETRY, type RouteNode } from "./resolve-config.ts";
import { routeTree } from "./test-support.ts";

function group(node: RouteNode) {
  if (node.kind !== "group") throw new Error(`expected a group at ${node.path}`);
  return node;
}

describe("resolveConfig", () => {
  it("labels every node with Portkey's JSON path", () => {
    const tree = routeTree({
      strategy: { mode: "fallback" },
      targets: [
        { provider: "openai", api_key: "a" },
        {
          strategy: { mode: "loadbalance" },
          targets: [{ provider: "anthropic", api_key: "b" }, { virtual_key: "c" }],
        },
      ],
    });
    expect(tree.path).toBe("config");
    expect(leavesOf(tree).map((leaf) => leaf.path)).toEqual([
      "config.targets[0]",
      "config.targets[1].targets[0]",
      "config.targets[1].targets[1]",
    ]);
    expect(group(tree).children[1]!.path).toBe("config.targets[1]");
  });

  it("a config without targets is a single leaf at `config`", () => {
    const tree = routeTree({ provider: "openai", api_key: "sk", weight: 3 });
    expect(tree).toMatchObject({ kind: "leaf", path: "config", leaf: { provider: "openai", apiKey: "sk", weight: 3 } });
  });

  it("children inherit override_params merged (child wins), retry, cache, timeout, host, headers, hooks", () => {
    const tree = routeTree({
      strategy: { mode: "fallback" },
      override_params: { model: "gpt-4o", temperature: 0 },
      retry: { attempts: 3 },
      cache: { mode: "simple", max_age: 120 },
      request_timeout: 5000,
      custom_host: "https://proxy.example/v1",
      forward_headers: ["X-Team"],
      strict_open_ai_compliance: false,
      input_guardrails: ["pg-in"],
      after_request_hooks: [{ id: "pg-after" }],
      targets: [
        { provider: "openai", api_key: "a", override_params: { temperature: 0.7, max_tokens: 10 } },
        {
          provider: "anthropic",
          api_key: "b",
          retry: { attempts: 1, on_status_codes: [429] },
          cache: { mode: "semantic" },
          request_timeout: 900,
          custom_host: "https://other.example",
          forward_headers: [],
          input_guardrails: [],
        },
      ],
    });
    const [first, second] = leavesOf(tree);
    expect(first).toMatchObject({
      overrideParams: { model: "gpt-4o", temperature: 0.7, max_tokens: 10 },
      retry: { attempts: 3, onStatusCodes: [429, 500, 502, 503, 504], useRetryAfterHeader: true },
      cache: { mode: "simple", maxAgeSeconds: 120, similarityThreshold: null },
      requestTimeoutMs: 5000,
      customHost: "https://proxy.example/v1",
      forwardHeaders: ["x-team"],
      strictOpenAiCompliance: false,
      hooks: { inputGuardrails: ["pg-in"], outputGuardrails: null, afterRequestHooks: [{ id: "pg-after" }] },
    });
    expect(second).toMatchObject({
      overrideParams: { model: "gpt-4o", temperature: 0 },
      retry: { attempts: 1, onStatusCodes: [429] },
      cache: { mode: "semantic", maxAgeSeconds: null, similarityThreshold: null },
      requestTimeoutMs: 900,
      customHost: "https://other.example",
      forwardHeaders: [],
      hooks: { inputGuardrails: [], afterRequestHooks: [{ id: "pg-after" }] },
    });
  });

  it("inherits through several levels, the nearest setting winning", () => {
    const tree = routeTree({
      strategy: { mode: "single" },
      request_timeout: 1000,
      override_params: { a: 1 },
      targets: [
        {
          strategy: { mode: "single" },
          request_timeout: 2000,
          override_params: { b: 2 },
          targets: [{ provider: "openai", override_params: { a: 3 } }],
        },
      ],
    });
    expect(leavesOf(tree)[0]).toMatchObject({ requestTimeoutMs: 2000, overrideParams: { a: 3, b: 2 } });
  });

  it("defaults: no retry, no timeout, no cache, weight 1", () => {
    const leaf = leavesOf(routeTree({ virtual_key: "vk" }))[0]!;
    expect(leaf).toMatchObject({ retry: NO_RETRY, requestTimeoutMs: null, cache: null, weight: 1, provider: null });
    expect(leaf.retry.attempts).toBe(0);
  });

  it("resolves conditional names to child indexes and keeps strategy settings", () => {
    const tree = group(
      routeTree({
        strategy: {
          mode: "conditional",
          conditions: [
            { query: { "metadata.plan": "paid" }, then: "pro" },
            { query: { "metadata.plan": "free" }, then: "basic" },
          ],
          default: "basic",
        },
        targets: [
          { name: "basic", virtual_key: "b" },
          { name: "pro", virtual_key: "p" },
        ],
      }),
    );
    expect(tree.strategy).toMatchObject({
      mode: "conditional",
      conditions: [{ thenIndex: 1 }, { thenIndex: 0 }],
      defaultIndex: 0,
      onStatusCodes: null,
      stickyKey: null,
    });
  });

  it("collects provider specifics into providerFields", () => {
    const leaf = leavesOf(
      routeTree({
        provider: "azure-openai",
        api_key: "k",
        resource_name: "r",
        deployment_id: "d",
        api_version: "2024-02-01",
        vertex_service_account_json: { client_email: "x@y" },
      }),
    )[0]!;
    expect(leaf.providerFields).toEqual({
      resource_name: "r",
      deployment_id: "d",
      api_version: "2024-02-01",
      vertex_service_account_json: '{"client_email":"x@y"}',
    });
  });

  it("request defaults fill a root leaf's provider and any leaf's missing credential", () => {
    const root = leavesOf(routeTree({ retry: { attempts: 1 } }, { provider: "openai", apiKey: "sk-header" }))[0]!;
    expect(root).toMatchObject({ provider: "openai", apiKey: "sk-header", virtualKey: null });
    const nested = leavesOf(
      routeTree(
        { strategy: { mode: "fallback" }, targets: [{ provider: "anthropic" }, { virtual_key: "vk" }] },
        { provider: "openai", apiKey: "sk-header" },
      ),
    );
    expect(nested[0]).toMatchObject({ provider: "anthropic", apiKey: "sk-header" });
    expect(nested[1]).toMatchObject({ provider: null, virtualKey: "vk", apiKey: null });
  });

  it("breakerKey: same upstream → same key across configs; credential or model differ → different; no secret in clear", () => {
    const keyOf = (config: unknown) => leavesOf(routeTree(config))[0]!.breakerKey;
    const a = keyOf({ provider: "openai", api_key: "sk-secret" });
    expect(keyOf({ provider: "openai", api_key: "sk-secret", retry: { attempts: 4 }, weight: 9 })).toBe(a);
    expect(keyOf({ provider: "openai", api_key: "sk-other" })).not.toBe(a);
    expect(keyOf({ provider: "openai", api_key: "sk-secret", override_params: { model: "gpt-4o" } })).not.toBe(a);
    expect(a).toMatch(/^openai#[0-9a-f]{16}$/);
    expect(a).not.toContain("secret");
  });
});
