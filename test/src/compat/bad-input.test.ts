import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import {
  type CompatStack,
  chatParams,
  condition,
  failureOf,
  fakeTarget,
  type PortkeyOptions,
  portkeyClient,
  postChat,
  startCompatStack,
} from "./support.ts";

/**
 * Bad input from real clients: each gets a specific 4xx naming the problem, and none reaches an
 * upstream. Every request also carries a route that *would* reach the fake upstream (provider,
 * custom host and key headers, or a healthy target), so a gateway that ignored the bad part
 * and carried on would be caught by the fake's request counter.
 */
describe("bad input from SDK clients", () => {
  const fake = new FakeOpenAIUpstream({ name: "bystander" });
  let sy: CompatStack;

  beforeAll(async () => {
    await fake.start();
    sy = await startCompatStack();
  });
  afterAll(async () => {
    await sy?.stop();
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
  });

  /** Headers that route to the fake on their own: what a lenient gateway would fall back to. */
  const reachable = (): PortkeyOptions => ({
    provider: "openai",
    customHost: fake.baseUrl,
    Authorization: "Bearer sk-bystander-key",
  });

  async function rejected(options: PortkeyOptions) {
    const failed = await failureOf(portkeyClient(sy.gatewayUrl, options).chat.completions.create(chatParams()));
    expect(fake.received, "the upstream must not be called").toBe(0);
    return failed;
  }

  it("malformed config JSON → 400 naming x-portkey-config", async () => {
    const failed = await rejected({ ...reachable(), config: '{"strategy": {"mode": "fallback"}, "targets": [' });
    expect(failed.status).toBe(400);
    expect(failed.error).toMatchObject({ type: "invalid_request_error", code: "invalid_config" });
    expect(`${failed.error.param} ${failed.error.message}`).toContain("x-portkey-config");
    expect(failed.error.message).toMatch(/json/i);
  });

  it("unknown strategy mode → 400 naming strategy.mode and the modes allowed", async () => {
    const failed = await rejected({
      ...reachable(),
      config: { strategy: { mode: "round-robin" }, targets: [fakeTarget(fake)] },
    });
    expect(failed.status).toBe(400);
    expect(failed.error.code).toBe("invalid_config");
    expect(failed.error.message).toContain("strategy.mode");
    expect(failed.error.message).toMatch(/round-robin|loadbalance/);
  });

  it("an invalid config lists every failing path", async () => {
    const failed = await rejected({
      ...reachable(),
      config: {
        strategy: { mode: "fallback", on_status_codes: ["five hundred"] },
        retry: { attempts: -1 },
        targets: [fakeTarget(fake), { weight: 1 }],
      },
    });
    expect(failed.status).toBe(400);
    expect(failed.error.code).toBe("invalid_config");
    // Paths as JSON paths (targets[1]) or dotted (targets.1): either names the place.
    for (const path of [/strategy\.on_status_codes/, /retry\.attempts/, /targets(\[1\]|\.1)/]) {
      expect(failed.error.message).toMatch(path);
    }
  });

  it("loadbalance with every weight 0 → 400 naming the weights", async () => {
    const failed = await rejected({
      ...reachable(),
      config: {
        strategy: { mode: "loadbalance" },
        targets: [fakeTarget(fake, { weight: 0 }), fakeTarget(fake, { weight: 0 })],
      },
    });
    expect(failed.status).toBe(400);
    expect(failed.error.code).toBe("invalid_config");
    expect(failed.error.message).toMatch(/weight/i);
  });

  it("conditional with no matching condition and no default → 4xx naming the problem", async () => {
    const failed = await rejected({
      ...reachable(),
      metadata: { plan: "free" },
      config: {
        strategy: {
          mode: "conditional",
          conditions: [condition({ "metadata.plan": { $eq: "pro" } }, "pro-target")],
        },
        targets: [fakeTarget(fake, { name: "pro-target" })],
      },
    });
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect(failed.status).toBeLessThan(500);
    expect(failed.error.code).toBe("no_route_matched");
    expect(failed.error.message).toMatch(/condition/i);
    expect(failed.error.message).toMatch(/default/i);
  });

  it("conditional whose `then` names no target → 400 at validation", async () => {
    const failed = await rejected({
      ...reachable(),
      config: {
        strategy: {
          mode: "conditional",
          conditions: [condition({ "metadata.plan": { $eq: "pro" } }, "missing")],
          default: "also-missing",
        },
        targets: [fakeTarget(fake, { name: "present" })],
      },
    });
    expect(failed.status).toBe(400);
    expect(failed.error.code).toBe("invalid_config");
    expect(failed.error.message).toContain('"missing"');
    expect(failed.error.message).toContain("strategy.default");
  });

  it("unknown virtual key → 4xx naming the key", async () => {
    const failed = await rejected({ customHost: fake.baseUrl, virtualKey: "vk-does-not-exist-42" });
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect(failed.status).toBeLessThan(500);
    expect(failed.error).toMatchObject({ code: "unknown_virtual_key", param: "x-portkey-virtual-key" });
    expect(failed.error.message).toContain("vk-does-not-exist-42");
  });

  it("unknown saved config id → 4xx naming the id", async () => {
    const failed = await rejected({ ...reachable(), config: "pc-does-not-exist-42" });
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect(failed.status).toBeLessThan(500);
    expect(failed.error.code).toBe("unknown_config");
    expect(failed.error.message).toContain("pc-does-not-exist-42");
  });

  it.each([
    [
      "x-portkey-custom-host",
      { provider: "openai", customHost: "http://169.254.169.254/", Authorization: "Bearer sk-x" },
    ],
    [
      "config custom_host",
      {
        config: {
          strategy: { mode: "fallback" },
          targets: [{ provider: "openai", api_key: "sk-x", custom_host: "http://169.254.169.254/latest/meta-data" }],
        },
      },
    ],
  ] as const)("custom host 169.254.169.254 (%s) → 400 naming the address", async (_via, options) => {
    const failed = await rejected(options as PortkeyOptions);
    expect(failed.status).toBe(400);
    expect(failed.error.code).toBe("forbidden_custom_host");
    expect(failed.error.message).toContain("169.254.169.254");
  });

  it("x-portkey-metadata that is not a JSON object → 400 naming the header (raw client)", async () => {
    const res = await postChat(sy.gatewayUrl, {
      "x-portkey-provider": "openai",
      "x-portkey-custom-host": fake.baseUrl,
      authorization: "Bearer sk-bystander-key",
      "x-portkey-metadata": "[1,2,3]",
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain("x-portkey-metadata");
    expect(fake.received).toBe(0);
  });
});
