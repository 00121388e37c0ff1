import { randomUUID } from "node:crypto";
import {
  buildTestGateway,
  cacheStage,
  createGatewayTelemetry,
  DEFAULT_CACHE_SETTINGS,
  minilmEmbedder,
  ResponseCache,
} from "@switchyard/gateway/testing";
import { createLogger, sha256Hex } from "@switchyard/platform";
import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { anthropicDialect } from "../fakes/dialects/anthropic.ts";
import { openAIDialect } from "../fakes/dialects/openai.ts";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import { ProviderFake } from "../fakes/provider-fake.ts";
import { freePort, pollUntil, RedisProcess, redisCli } from "./redis-process.ts";

/**
 * The response cache in the request path: in-process gateways (replicas) whose cache is shared through
 * a real Redis (the machine's on 6379, a fresh key prefix per run; a redis-server of this file's own
 * for the outage), a fake OpenAI upstream counting the calls that reach it.
 */
const logger = createLogger({ name: "cache-test", level: "silent" });
const upstream = new FakeOpenAIUpstream({ name: "cache" });
const caches: ResponseCache[] = [];

type GatewayOptions = NonNullable<Parameters<typeof buildTestGateway>[0]>;

function replica(
  redisUrl: string | null,
  prefix: string,
  keys?: GatewayOptions["keys"],
  telemetry?: GatewayOptions["telemetry"],
) {
  const cache = new ResponseCache(
    {
      ...DEFAULT_CACHE_SETTINGS,
      redis: redisUrl === null ? null : { url: redisUrl, prefix, commandTimeoutMs: 500, feedMaxLen: 1000 },
    },
    { logger },
  );
  caches.push(cache);
  const gw = buildTestGateway({
    ...(keys ? { keys } : {}),
    ...(telemetry ? { telemetry } : {}),
    pipeline: { attempt: (stages) => stages.map((s) => (s.name === "cache" ? cacheStage(cache, []) : s)) },
  });
  return { gw, cache };
}

const config = (cache: object) =>
  JSON.stringify({ provider: "openai", api_key: "sk-cache-test", custom_host: upstream.baseUrl, cache });

async function call(
  gw: ReturnType<typeof buildTestGateway>,
  body: object,
  headers: Record<string, string> = {},
  url = "/v1/chat/completions",
) {
  const res = await gw.app.inject({
    method: "POST",
    url,
    headers: { "content-type": "application/json", "x-portkey-config": config({ mode: "simple" }), ...headers },
    payload: JSON.stringify(body),
  });
  return { res, status: res.headers["x-portkey-cache-status"] };
}

const chat = (content: string, extra: object = {}) => ({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content }],
  ...extra,
});
const prefix = () => `switchyard:test:cache:${randomUUID()}:`;

beforeAll(() => upstream.start());
afterAll(async () => {
  for (const cache of caches) await cache.close();
  await upstream.stop();
});
beforeEach(() => {
  upstream.reset();
});

describe("simple cache through Redis, two replicas", () => {
  const p = prefix();
  const a = replica("redis://127.0.0.1:6379", p);
  const b = replica("redis://127.0.0.1:6379", p);
  afterAll(async () => {
    await a.gw.close();
    await b.gw.close();
  });
  beforeEach(() => {
    a.gw.sink.events.length = 0;
    b.gw.sink.events.length = 0;
  });

  it("a repeat on the other replica is a HIT; the event has the key hash, cost 0 and the cost saved", async () => {
    const first = await call(a.gw, chat("repeat me"));
    expect(first.status).toBe("MISS");
    const second = await call(b.gw, chat("repeat me"));
    expect(second.status).toBe("HIT");
    expect(second.res.json()).toEqual(first.res.json());
    expect(upstream.received).toBe(1);
    const [miss] = await a.gw.sink.waitFor(1);
    const [hit] = await b.gw.sink.waitFor(1);
    expect(miss?.cache_status).toBe("MISS");
    expect(miss?.cost_nano_usd).toBeGreaterThan(0);
    expect(hit).toMatchObject({ cache_status: "HIT", cost_nano_usd: 0, cache_key: miss?.cache_key });
    expect(hit?.cache_key).toMatch(/^[0-9a-f]{64}$/);
    expect(hit?.cost_saved_nano_usd).toBe(miss?.cost_nano_usd);
  });

  it("force refresh (the value true, not the header's presence) calls upstream and stores; a namespace partitions", async () => {
    await call(a.gw, chat("refresh me"));
    expect((await call(a.gw, chat("refresh me"), { "x-portkey-cache-force-refresh": "false" })).status).toBe("HIT");
    expect((await call(b.gw, chat("refresh me"), { "x-portkey-cache-force-refresh": "true" })).status).toBe("REFRESH");
    expect(upstream.received).toBe(2);
    expect((await call(a.gw, chat("refresh me"), { "x-portkey-cache-namespace": "ns-1" })).status).toBe("MISS");
    expect((await call(b.gw, chat("refresh me"), { "x-portkey-cache-namespace": "ns-1" })).status).toBe("HIT");
    expect((await call(b.gw, chat("refresh me"), { "x-portkey-metadata": '{"team":"x"}' })).status).toBe("MISS");
  });

  it("a stored JSON answer serves a streamed request as SSE, and a stored stream serves JSON", async () => {
    const json = await call(a.gw, chat("json first"));
    const streamed = await call(b.gw, chat("json first", { stream: true, stream_options: { include_usage: true } }));
    expect(streamed.status).toBe("HIT");
    expect(streamed.res.headers["content-type"]).toContain("text/event-stream");
    const events = streamed.res.body.split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    const text = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.slice(6)))
      .map((c) => c.choices[0]?.delta?.content ?? "")
      .join("");
    expect(text).toBe(json.res.json().choices[0].message.content);
    expect(JSON.parse(events.at(-2)!.slice(6)).usage.total_tokens).toBeGreaterThan(0);
    // A streamed hit bills nothing either: zero usage recorded, cost 0, the saving recorded.
    const [streamedHit] = await b.gw.sink.waitFor(1);
    expect(streamedHit).toMatchObject({ cache_status: "HIT", stream: true, cost_nano_usd: 0 });
    expect(streamedHit?.usage.input_tokens).toBe(0);
    expect(streamedHit?.cost_saved_nano_usd).toBeGreaterThan(0);

    const firstStream = await call(a.gw, chat("stream first", { stream: true }));
    expect(firstStream.status).toBe("MISS");
    const asJson = await call(b.gw, chat("stream first"));
    expect(asJson.status).toBe("HIT");
    expect(asJson.res.json()).toMatchObject({
      object: "chat.completion",
      choices: [{ message: { role: "assistant" } }],
    });
    expect(upstream.received).toBe(2);
  });

  it("/v1/messages: a hit on a stream is served as Anthropic events", async () => {
    const body = { model: "gpt-4o-mini", max_tokens: 64, messages: [{ role: "user", content: "anthropic please" }] };
    expect((await call(a.gw, body, {}, "/v1/messages")).status).toBe("MISS");
    const hit = await call(b.gw, { ...body, stream: true }, {}, "/v1/messages");
    expect(hit.status).toBe("HIT");
    expect(hit.res.body).toMatch(/^event: message_start\n/);
    expect(hit.res.body).toContain("event: message_stop");
    expect(upstream.received).toBe(1);
  });

  it("a stored entry that fails to decode is dropped and taken as a miss", async () => {
    await call(a.gw, chat("corrupt me"));
    const [stored] = await a.gw.sink.waitFor(1);
    await redisCli(6379, "SET", `${p}answer:${stored?.cache_key}`, "{not an answer");
    const corrupt = await call(b.gw, chat("corrupt me"));
    expect([corrupt.res.statusCode, corrupt.status]).toEqual([200, "MISS"]);
    expect((await call(a.gw, chat("corrupt me"))).status).toBe("HIT");
    expect(upstream.received).toBe(2);
  });

  it("errors and cut streams are never stored", async () => {
    upstream.failNext(1, { status: 500 });
    expect((await call(a.gw, chat("fails once"))).res.statusCode).toBe(500);
    expect((await call(a.gw, chat("fails once"))).status).toBe("MISS");
    upstream.script.push({ kind: "cut-stream", afterChunks: 2 });
    await call(a.gw, chat("cut once", { stream: true }));
    expect((await call(a.gw, chat("cut once"))).status).toBe("MISS");
    expect(upstream.received).toBe(4);
  });
});

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

describe("a sentence model that cannot load", () => {
  const cache = new ResponseCache(DEFAULT_CACHE_SETTINGS, { logger, embedder: minilmEmbedder("/nonexistent/model/") });
  caches.push(cache);
  const gw = buildTestGateway({
    pipeline: { attempt: (stages) => stages.map((s) => (s.name === "cache" ? cacheStage(cache, []) : s)) },
  });
  afterAll(() => gw.close());

  it("serves semantic requests with the exact lookup only, never an error", async () => {
    const semantic = { "x-portkey-config": config({ mode: "semantic" }) };
    const first = await call(gw, chat("no model here"), semantic);
    expect([first.res.statusCode, first.status]).toEqual([200, "SEMANTIC MISS"]);
    expect((await call(gw, chat("no model here"), semantic)).status).toBe("HIT");
    expect((await call(gw, chat("no model at all here"), semantic)).status).toBe("SEMANTIC MISS");
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

describe("tenants never share", () => {
  const keys = [
    { id: "k-a", tenant_id: "tenant-a", key_sha256: sha256Hex("sy-tenant-a"), role: "tenant" as const, revoked: false },
    { id: "k-b", tenant_id: "tenant-b", key_sha256: sha256Hex("sy-tenant-b"), role: "tenant" as const, revoked: false },
  ];
  const { gw } = replica(null, "");
  const keyed = replica(null, "", keys);
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

describe("semantic cache", () => {
  const p = prefix();
  const a = replica("redis://127.0.0.1:6379", p);
  const b = replica("redis://127.0.0.1:6379", p);
  afterAll(async () => {
    await a.gw.close();
    await b.gw.close();
  });
  const semantic = () => ({ "x-portkey-config": config({ mode: "semantic" }) });

  it("a paraphrase hits on the other replica once the entry propagated; a near miss and an unrelated question miss", async () => {
    expect((await call(a.gw, chat("What is the capital of France?"), semantic())).status).toBe("SEMANTIC MISS");
    expect((await call(a.gw, chat("What is the capital of France?"), semantic())).status).toBe("HIT");
    await pollUntil(() => b.cache.semanticEntries() >= 1, "the semantic entry to reach replica b");
    const paraphrase = await call(b.gw, chat("Tell me France's capital"), semantic());
    expect(paraphrase.status).toBe("SEMANTIC HIT");
    expect(upstream.received).toBe(1);
    const [event] = await b.gw.sink.waitFor(1);
    expect(event).toMatchObject({ cache_status: "SEMANTIC HIT", cost_nano_usd: 0 });
    expect(event?.cost_saved_nano_usd).toBeGreaterThan(0);
    expect((await call(a.gw, chat("What is the capital of Germany?"), semantic())).status).toBe("SEMANTIC MISS");
    expect((await call(a.gw, chat("How do I bake bread?"), semantic())).status).toBe("SEMANTIC MISS");
    expect(upstream.received).toBe(3);
  });

  it("a different system prompt never shares an answer", async () => {
    const withSystem = (system: string, content: string) =>
      chat(content, {
        messages: [
          { role: "system", content: system },
          { role: "user", content },
        ],
      });
    await call(a.gw, withSystem("Answer in French.", "What is the capital of Italy?"), semantic());
    expect((await call(a.gw, withSystem("Answer in French.", "Tell me Italy's capital"), semantic())).status).toBe(
      "SEMANTIC HIT",
    );
    expect((await call(a.gw, withSystem("Answer in German.", "Tell me Italy's capital"), semantic())).status).toBe(
      "SEMANTIC MISS",
    );
  });
});

describe("Redis killed mid-test", () => {
  let redis: RedisProcess;
  let node: ReturnType<typeof replica>;
  beforeAll(async () => {
    redis = new RedisProcess(await freePort());
    await redis.start();
    node = replica(redis.url, prefix());
  });
  afterAll(async () => {
    await node.gw.close();
    await redis.kill();
  });

  it("a gateway whose Redis never answered serves uncached from the first request", async () => {
    const nowhere = replica(`redis://127.0.0.1:${await freePort()}`, prefix());
    try {
      for (let i = 0; i < 2; i++) {
        const { res, status } = await call(nowhere.gw, chat("no redis"));
        expect([res.statusCode, status]).toEqual([200, "MISS"]);
      }
    } finally {
      await nowhere.gw.close();
    }
  });

  it("serves uncached (MISS, never a 5xx) while Redis is down, and caches again once it is back", async () => {
    await call(node.gw, chat("outage"));
    expect((await call(node.gw, chat("outage"))).status).toBe("HIT");
    await redis.kill();
    const during = await call(node.gw, chat("outage"));
    expect(during.res.statusCode).toBe(200);
    expect(during.status).toBe("MISS");
    await redis.start();
    // The client reconnects by itself: a fresh Redis is empty, so the first stored answer then hits.
    await pollUntil(async () => (await call(node.gw, chat("after outage"))).status === "HIT", "caching to resume");
  });
});

describe("spans", () => {
  const mem = inMemoryTelemetry({ tracing: true });
  const { gw } = replica(null, "", undefined, createGatewayTelemetry(mem.telemetry));
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
