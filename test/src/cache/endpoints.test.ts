import { createGatewayTelemetry, minilmEmbedder } from "@switchyard/gateway/testing";
import { sha256Hex } from "@switchyard/platform";
import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicDialect } from "../fakes/dialects/anthropic.ts";
import { openAIDialect } from "../fakes/dialects/openai.ts";
import { ProviderFake } from "../fakes/provider-fake.ts";
import { cacheHarness, chat } from "./support.ts";

/**
 * The response cache per endpoint and beside the other stages, on in-process caches: embeddings and
 * legacy completions, native /v1/messages to Anthropic, output guardrails, tenants, a sentence model
 * that cannot load, and the lookup/store spans.
 */
const { upstream, replica, config, call } = cacheHarness();

describe("embeddings and legacy completions", () => {
  const fake = new ProviderFake("openai", openAIDialect(), "/v1");
  const { gw } = replica(null, "");
  beforeAll(() => fake.start());
  afterAll(async () => {
    await gw.close();
    await fake.stop();
  });
  const viaFake = () => ({
    "x-portkey-config": JSON.stringify({
      provider: "openai",
      api_key: "sk-fake",
      custom_host: fake.baseUrl,
      cache: { mode: "semantic" },
    }),
  });

  it("are cached; a completions hit streams as text_completion chunks; embeddings get the exact lookup", async () => {
    const embed = { model: "text-embedding-3-small", input: "cache me" };
    const e1 = await call(gw, embed, viaFake(), "/v1/embeddings");
    expect([e1.res.statusCode, e1.status]).toEqual([200, "SEMANTIC MISS"]);
    const e2 = await call(gw, embed, viaFake(), "/v1/embeddings");
    expect(e2.status).toBe("HIT");
    expect(e2.res.json()).toEqual(e1.res.json());
    const text = { model: "gpt-3.5-turbo-instruct", prompt: "Once upon a time" };
    const t1 = await call(gw, text, viaFake(), "/v1/completions");
    expect([t1.res.statusCode, t1.status]).toEqual([200, "SEMANTIC MISS"]);
    const t2 = await call(gw, { ...text, stream: true }, viaFake(), "/v1/completions");
    expect(t2.status).toBe("HIT");
    const chunks = t2.res.body.split("\n\n").filter(Boolean);
    expect(chunks.at(-1)).toBe("data: [DONE]");
    const streamed = chunks
      .slice(0, -1)
      .map((e) => JSON.parse(e.slice(6)))
      .map((c) => c.choices[0]?.text ?? "")
      .join("");
    expect(streamed).toBe(t1.res.json().choices[0].text);
    expect(fake.calls.length).toBe(2);
  });
});

describe("/v1/messages to Anthropic (native pass-through)", () => {
  const fake = new ProviderFake("anthropic", anthropicDialect(), "/v1");
  const { gw } = replica(null, "");
  beforeAll(() => fake.start());
  afterAll(async () => {
    await gw.close();
    await fake.stop();
  });
  const native = () => ({
    "x-portkey-config": JSON.stringify({
      provider: "anthropic",
      api_key: "sk-ant-test",
      custom_host: fake.baseUrl,
      cache: { mode: "simple" },
    }),
  });
  const ask = (content: string, stream = false) => ({
    model: "claude-3-5-haiku-latest",
    max_tokens: 64,
    messages: [{ role: "user", content }],
    ...(stream ? { stream: true } : {}),
  });
  const streamedText = (sse: string) =>
    sse
      .split("\n\n")
      .filter((frame) => frame.includes("text_delta"))
      .map((frame) => JSON.parse(frame.slice(frame.indexOf("data: ") + 6)).delta.text)
      .join("");

  it("Anthropic's JSON message serves a streamed request as Anthropic's events, and its stream serves JSON", async () => {
    const json = await call(gw, ask("native json first"), native(), "/v1/messages");
    expect([json.res.statusCode, json.status]).toEqual([200, "MISS"]);
    const message = json.res.json();
    const asStream = await call(gw, ask("native json first", true), native(), "/v1/messages");
    expect(asStream.status).toBe("HIT");
    expect(asStream.res.body).toMatch(/^event: message_start\n/);
    expect(asStream.res.body.trimEnd()).toMatch(/event: message_stop\ndata: \{"type":"message_stop"\}$/);
    expect(streamedText(asStream.res.body)).toBe(message.content[0].text);

    const streamed = await call(gw, ask("native stream first", true), native(), "/v1/messages");
    expect(streamed.status).toBe("MISS");
    const asJson = await call(gw, ask("native stream first"), native(), "/v1/messages");
    expect(asJson.status).toBe("HIT");
    expect(asJson.res.json()).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: streamedText(streamed.res.body) }],
      stop_reason: "end_turn",
      usage: { output_tokens: expect.any(Number) },
    });
    expect(fake.calls.length).toBe(2);
  });
});

describe("guardrails", () => {
  const { gw } = replica(null, "");
  afterAll(() => gw.close());

  it("an answer an output guardrail denied is never served from the cache", async () => {
    const withConfig = (extra: object) => ({
      "x-portkey-config": JSON.stringify({
        provider: "openai",
        api_key: "sk-cache-test",
        custom_host: upstream.baseUrl,
        cache: { mode: "simple" },
        ...extra,
      }),
    });
    const deny = { output_guardrails: [{ "default.contains": { words: ["Hello"], operator: "none" }, deny: true }] };
    const denied = await call(gw, chat("guarded"), withConfig(deny));
    expect(denied.res.statusCode).toBe(446);
    // The key does not cover the guardrails: the same request without them must not get the denied answer.
    expect((await call(gw, chat("guarded"), withConfig({}))).status).toBe("MISS");
    expect(upstream.received).toBe(2);
  });
});

describe("tenants never share", () => {
  const keys = [
    { id: "k-a", tenant_id: "tenant-a", key_sha256: sha256Hex("sy-tenant-a"), role: "tenant" as const, revoked: false },
    { id: "k-b", tenant_id: "tenant-b", key_sha256: sha256Hex("sy-tenant-b"), role: "tenant" as const, revoked: false },
  ];
  const { gw } = replica(null, "");
  const keyed = replica(null, "", { keys });
  afterAll(async () => {
    await gw.close();
    await keyed.gw.close();
  });

  it("the same request from another tenant misses", async () => {
    const mock = { "x-portkey-config": JSON.stringify({ provider: "mock", cache: { mode: "simple" } }) };
    const as = (key: string) => ({ ...mock, "x-portkey-api-key": key });
    expect((await call(keyed.gw, chat("shared?"), as("sy-tenant-a"))).status).toBe("MISS");
    expect((await call(keyed.gw, chat("shared?"), as("sy-tenant-a"))).status).toBe("HIT");
    expect((await call(keyed.gw, chat("shared?"), as("sy-tenant-b"))).status).toBe("MISS");
  });
});

describe("a sentence model that cannot load", () => {
  const { gw } = replica(null, "", { embedder: minilmEmbedder("/nonexistent/model/") });
  afterAll(() => gw.close());

  it("serves semantic requests with the exact lookup only, never an error", async () => {
    const semantic = { "x-portkey-config": config({ mode: "semantic" }) };
    const first = await call(gw, chat("no model here"), semantic);
    expect([first.res.statusCode, first.status]).toEqual([200, "SEMANTIC MISS"]);
    expect((await call(gw, chat("no model here"), semantic)).status).toBe("HIT");
    expect((await call(gw, chat("no model at all here"), semantic)).status).toBe("SEMANTIC MISS");
  });
});

describe("spans", () => {
  const mem = inMemoryTelemetry({ tracing: true });
  const { gw } = replica(null, "", { telemetry: createGatewayTelemetry(mem.telemetry) });
  afterAll(() => gw.close());

  it("a lookup span ends with the status; a stored answer has a store span", async () => {
    await call(gw, chat("traced"));
    await call(gw, chat("traced"));
    const cacheSpans = mem.spans().filter((span) => span.name.startsWith("switchyard.cache."));
    expect(cacheSpans.map((span) => [span.name, span.attributes["switchyard.cache.status"]])).toEqual([
      ["switchyard.cache.lookup", "MISS"],
      ["switchyard.cache.store", "MISS"],
      ["switchyard.cache.lookup", "HIT"],
    ]);
  });
});
