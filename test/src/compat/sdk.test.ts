import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import {
  type CompatStack,
  chatParams,
  fakeTarget,
  HELLO,
  openaiClient,
  portkeyClient,
  portkeyHeadersOf,
  startCompatStack,
  traceId,
  traceOf,
} from "./support.ts";

/**
 * The unmodified portkey-ai and openai SDKs against a running Switchyard (gateway + ingest +
 * analytics in this process) and fake OpenAI upstreams: the calls users' existing Portkey code
 * makes, with only the base URL changed.
 */
describe("portkey-ai and openai SDKs against Switchyard", () => {
  const a = new FakeOpenAIUpstream({ name: "a" });
  const b = new FakeOpenAIUpstream({ name: "b" });
  let sy: CompatStack;
  /** The tenant open local-dev mode admits callers as (SWITCHYARD_DEFAULT_TENANT). */
  const tenant = "default";

  beforeAll(async () => {
    await Promise.all([a.start(), b.start()]);
    sy = await startCompatStack({ events: true });
    await sy.admin.ensureTenant(tenant);
  });
  afterAll(async () => {
    await sy?.stop();
    await Promise.all([a.stop(), b.stop()]);
  });
  beforeEach(() => {
    a.reset();
    b.reset();
  });

  /** What only the provider sees: its own key, no gateway key, no Portkey headers. */
  function expectCleanUpstreamRequest(upstream: FakeOpenAIUpstream, providerKey: string) {
    const seen = upstream.requests[0];
    expect(seen?.headers.authorization).toBe(`Bearer ${providerKey}`);
    expect(Object.keys(seen?.headers ?? {}).filter((h) => h.startsWith("x-portkey-"))).toEqual([]);
  }

  describe("portkey-ai SDK", () => {
    it("plain call: provider + custom host + provider key; Portkey response headers", async () => {
      const portkey = portkeyClient(sy.gatewayUrl, {
        apiKey: "pk-not-a-provider-key",
        provider: "openai",
        customHost: a.baseUrl,
        Authorization: "Bearer sk-a-provider-secret",
      });
      const completion = await portkey.chat.completions.create(chatParams());
      expect(completion.object).toBe("chat.completion");
      expect(completion.choices[0]?.message?.content).toBe(HELLO);
      expect(completion.system_fingerprint).toBe("fake:a");
      const headers = portkeyHeadersOf(completion);
      expect(headers["trace-id"]).toMatch(/\S/);
      expect(headers.provider).toBe("openai");
      expect(headers["retry-attempt-count"]).toBe("0");
      expect(headers["cache-status"]).toBeTruthy();
      expect(a.received).toBe(1);
      expectCleanUpstreamRequest(a, "sk-a-provider-secret");
    });

    it("stream: chat.completion.chunk events ending cleanly", async () => {
      const portkey = portkeyClient(sy.gatewayUrl, {
        provider: "openai",
        customHost: a.baseUrl,
        Authorization: "Bearer sk-a-provider-secret",
      });
      const stream = await portkey.chat.completions.create({ ...chatParams(), stream: true });
      let text = "";
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
        chunks.push(chunk);
        text += chunk.choices[0]?.delta?.content ?? "";
      }
      expect(text).toBe(HELLO);
      expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
      expect(chunks.at(-1)?.choices[0]?.finish_reason ?? chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
      expect(a.received).toBe(1);
    });

    it("inline config object: the config's target and key serve, not the headers'", async () => {
      const target = fakeTarget(b);
      const portkey = portkeyClient(sy.gatewayUrl, {
        provider: "openai",
        customHost: a.baseUrl,
        Authorization: "Bearer sk-a-provider-secret",
        config: { strategy: { mode: "single" }, targets: [target] },
      });
      const completion = await portkey.chat.completions.create(chatParams());
      expect(completion.choices[0]?.message?.content).toBe(HELLO);
      expect(completion.system_fingerprint).toBe("fake:b");
      expect(portkeyHeadersOf(completion)["last-used-option-index"]).toBe("config.targets[0]");
      expect(a.received).toBe(0);
      expectCleanUpstreamRequest(b, target.api_key);
    });

    it("saved config id (pc-…): created through the admin API, referenced by id", async () => {
      const targets = [fakeTarget(a), fakeTarget(b)];
      const saved = await sy.admin.createConfig(tenant, { strategy: { mode: "fallback" }, targets });
      expect(saved.id).toMatch(/^pc-/);
      a.failAlways({ status: 500 });
      const trace = traceId("saved-config");
      const portkey = portkeyClient(sy.gatewayUrl, { config: saved.id, traceID: trace });
      const completion = await portkey.chat.completions.create(chatParams());
      expect(completion.system_fingerprint).toBe("fake:b");
      expect(portkeyHeadersOf(completion)["last-used-option-index"]).toBe("config.targets[1]");
      expectCleanUpstreamRequest(b, targets[1]?.api_key ?? "");
      const [event] = await traceOf(sy.analyticsUrl, trace);
      expect(event?.config_id).toBe(saved.id);
    });

    it("virtual key alone: no provider header, no provider key; the vault supplies both", async () => {
      const secret = "sk-vault-held-secret-123";
      const vk = await sy.admin.createVirtualKey(tenant, {
        name: "compat-openai",
        provider: "openai",
        api_key: secret,
        custom_host: a.baseUrl,
      });
      const trace = traceId("virtual-key");
      const portkey = portkeyClient(sy.gatewayUrl, { virtualKey: vk.id, traceID: trace });
      const completion = await portkey.chat.completions.create(chatParams());
      expect(completion.system_fingerprint).toBe("fake:a");
      expect(portkeyHeadersOf(completion).provider).toBe("openai");
      expectCleanUpstreamRequest(a, secret);
      const [event] = await traceOf(sy.analyticsUrl, trace);
      expect(event?.virtual_key_id).toBe(vk.id);
      expect(JSON.stringify(event)).not.toContain(secret);
    });

    it("trace id and metadata round trip into the recorded event", async () => {
      const trace = traceId("metadata");
      const portkey = portkeyClient(sy.gatewayUrl, {
        provider: "openai",
        customHost: a.baseUrl,
        Authorization: "Bearer sk-a-provider-secret",
        traceID: trace,
        metadata: { _user: "ada", team: "compilers", run: 7 },
      });
      const completion = await portkey.chat.completions.create(chatParams());
      expect(portkeyHeadersOf(completion)["trace-id"]).toBe(trace);
      const [event] = await traceOf(sy.analyticsUrl, trace);
      expect(event).toMatchObject({
        trace_id: trace,
        user: "ada",
        metadata: { _user: "ada", team: "compilers", run: "7" },
        provider: "openai",
        status_code: 200,
      });
    });
  });

  describe("openai SDK with Portkey headers", () => {
    it("plain call: the Authorization bearer is the provider key", async () => {
      const openai = openaiClient(sy.gatewayUrl, "sk-a-provider-secret", {
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": a.baseUrl,
      });
      const { data, response } = await openai.chat.completions.create(chatParams()).withResponse();
      expect(data.choices[0]?.message.content).toBe(HELLO);
      expect(data.system_fingerprint).toBe("fake:a");
      expect(response.headers.get("x-portkey-trace-id")).toMatch(/\S/);
      expect(response.headers.get("x-portkey-provider")).toBe("openai");
      expectCleanUpstreamRequest(a, "sk-a-provider-secret");
    });

    it("stream", async () => {
      const openai = openaiClient(sy.gatewayUrl, "sk-a-provider-secret", {
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": a.baseUrl,
      });
      const stream = await openai.chat.completions.create({
        ...chatParams(),
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "";
      let usage: ChatCompletionChunk["usage"] = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? "";
        usage = chunk.usage ?? usage;
      }
      expect(text).toBe(HELLO);
      expect(usage).toMatchObject({ prompt_tokens: 42, completion_tokens: 17 });
    });

    it("inline config in x-portkey-config; the SDK's placeholder key never reaches the provider", async () => {
      const targets = [fakeTarget(a), fakeTarget(b)];
      const openai = openaiClient(sy.gatewayUrl, "DUMMY-KEY", {
        "x-portkey-config": JSON.stringify({ strategy: { mode: "fallback" }, targets }),
      });
      const { data, response } = await openai.chat.completions.create(chatParams()).withResponse();
      expect(data.system_fingerprint).toBe("fake:a");
      expect(response.headers.get("x-portkey-last-used-option-index")).toBe("config.targets[0]");
      expectCleanUpstreamRequest(a, targets[0]?.api_key ?? "");
      expect(b.received).toBe(0);
    });
  });
});
