import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openAIDialect } from "../fakes/dialects/openai.ts";
import { ProviderFake } from "../fakes/provider-fake.ts";
import { pollUntil } from "./redis-process.ts";
import { cacheHarness, chat, prefix } from "./support.ts";

/**
 * Semantic mode with `cache.embedding`: the prompt is embedded by a provider's /v1/embeddings through
 * the gateway's provider layer (here a fake speaking OpenAI's wire format, with vectors of its own),
 * not by the local model. An embedding upstream that fails or stalls never fails the request.
 */
const { upstream, replica, config, call } = cacheHarness();

// Vectors the fake embedding model gives (cosine to France: paraphrase 0.98, Germany 0.6, bread 0).
const VECTORS: Record<string, number[]> = {
  "What is the capital of France?": [1, 0, 0, 0],
  "Tell me France's capital": [0.98, 0.199, 0, 0],
  "What is the capital of Germany?": [0.6, 0, 0.8, 0],
  "How do I bake bread?": [0, 0, 0, 1],
};
const embeddingDialect = {
  ...openAIDialect(),
  embeddings(body: Record<string, unknown>) {
    const input = String(body.input);
    return {
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: VECTORS[input] ?? [0, 1, 0, 0] }],
      model: body.model,
      usage: { prompt_tokens: 6, total_tokens: 6 },
    };
  },
};

describe("cache.embedding: a provider's /v1/embeddings instead of the local model", () => {
  const embedder = new ProviderFake("openai-embeddings", embeddingDialect, "/v1");
  const { gw, cache } = replica(null, "");
  beforeAll(() => embedder.start());
  beforeEach(() => {
    embedder.reset();
  });
  afterAll(async () => {
    await gw.close();
    await embedder.stop();
  });
  const embedding = (extra: object = {}) => ({
    provider: "openai",
    api_key: "sk-embed",
    model: "text-embedding-3-small",
    custom_host: embedder.baseUrl,
    ...extra,
  });
  const semantic = (extra: object = {}) => ({
    "x-portkey-config": config({ mode: "semantic", embedding: embedding(extra) }),
  });

  it("a paraphrase hits, another country and another subject miss; the call speaks OpenAI's format", async () => {
    const first = await call(gw, chat("What is the capital of France?"), semantic());
    expect([first.res.statusCode, first.status]).toEqual([200, "SEMANTIC MISS"]);
    const paraphrase = await call(gw, chat("Tell me France's capital"), semantic());
    expect([paraphrase.res.statusCode, paraphrase.status]).toEqual([200, "SEMANTIC HIT"]);
    expect(paraphrase.res.json().choices).toEqual(first.res.json().choices);
    expect((await call(gw, chat("What is the capital of Germany?"), semantic())).status).toBe("SEMANTIC MISS");
    expect((await call(gw, chat("How do I bake bread?"), semantic())).status).toBe("SEMANTIC MISS");
    expect(upstream.received).toBe(3);
    expect(embedder.calls.map((c) => c.body.input)).toEqual([
      "What is the capital of France?",
      "Tell me France's capital",
      "What is the capital of Germany?",
      "How do I bake bread?",
    ]);
    const sent = embedder.calls[0]!;
    expect(sent.url).toBe("/v1/embeddings");
    expect(sent.headers.authorization).toBe("Bearer sk-embed");
    expect(sent.body.model).toBe("text-embedding-3-small");
    // The answers' vectors are the target's (4 floats), in partitions of their own.
    expect(cache.semanticEntries()).toBe(3);
  });

  it("another embedding model is another vector space: no hit across models", async () => {
    const other = { "x-portkey-config": config({ mode: "semantic", embedding: embedding({ model: "other-model" }) }) };
    expect((await call(gw, chat("Tell me France's capital"), other)).status).toBe("SEMANTIC MISS");
    expect(upstream.received).toBe(1);
  });

  it("the embedding upstream failing or stalling serves the request uncached by meaning (SEMANTIC MISS), never a 5xx", async () => {
    embedder.failNext(503, "embeddings overloaded");
    const failed = await call(gw, chat("Name the capital of France"), semantic());
    expect([failed.res.statusCode, failed.status]).toEqual([200, "SEMANTIC MISS"]);
    // Stored under its exact key all the same.
    expect((await call(gw, chat("Name the capital of France"), semantic())).status).toBe("HIT");
    embedder.stallNext();
    const started = performance.now();
    const stalled = await call(gw, chat("Capital city of France?"), semantic({ request_timeout: 200 }));
    expect([stalled.res.statusCode, stalled.status]).toEqual([200, "SEMANTIC MISS"]);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(upstream.received).toBe(2);
  });

  it("the embedding upstream gone altogether: SEMANTIC MISS, the answer from the chat upstream", async () => {
    const gone = {
      "x-portkey-config": config({ mode: "semantic", embedding: embedding({ custom_host: "http://127.0.0.1:9/v1" }) }),
    };
    const res = await call(gw, chat("Is Paris the capital of France?"), gone);
    expect([res.res.statusCode, res.status]).toEqual([200, "SEMANTIC MISS"]);
    expect(upstream.received).toBe(1);
  });

  it("a bad embedding target is a 400 naming the field, before any upstream call", async () => {
    const cases: [object, string][] = [
      [{ mode: "semantic", embedding: { provider: "openai", api_key: "k" } }, "cache.embedding.model"],
      [{ mode: "semantic", embedding: { model: "m" } }, "cache.embedding.provider"],
      [{ mode: "semantic", embedding: { provider: "openai", model: "m", dims: 3 } }, "cache.embedding.dims"],
      [
        { mode: "semantic", embedding: { provider: "openai", model: "m", dimensions: 0 } },
        "cache.embedding.dimensions",
      ],
      [{ mode: "semantic", embedding: { provider: "nope", model: "m" } }, "cache.embedding.provider"],
      [{ mode: "semantic", embedding: { provider: "anthropic", model: "m" } }, "cache.embedding.provider"],
      [{ mode: "semantic", embedding: { virtual_key: "vk-missing", model: "m" } }, "cache.embedding.virtual_key"],
      [{ mode: "simple", embedding: { provider: "openai", model: "m" } }, "cache.embedding"],
    ];
    for (const [cacheConfig, field] of cases) {
      const { res } = await call(gw, chat("bad embedding"), { "x-portkey-config": config(cacheConfig) });
      expect(res.statusCode, field).toBe(400);
      const error = res.json().error as { param: string; message: string };
      expect(`${error.param} ${error.message}`, JSON.stringify(error)).toContain(field);
    }
    expect(upstream.received).toBe(0);
    expect(embedder.calls.length).toBe(0);
  });
});

describe("cache.embedding with two replicas sharing Redis", () => {
  const embedder = new ProviderFake("openai-embeddings", embeddingDialect, "/v1");
  const p = prefix();
  const a = replica("redis://127.0.0.1:6379", p);
  const b = replica("redis://127.0.0.1:6379", p);
  beforeAll(() => embedder.start());
  afterAll(async () => {
    await a.gw.close();
    await b.gw.close();
    await embedder.stop();
  });
  const semantic = () => ({
    "x-portkey-config": config({
      mode: "semantic",
      embedding: {
        provider: "openai",
        api_key: "sk-embed",
        model: "text-embedding-3-small",
        custom_host: embedder.baseUrl,
      },
    }),
  });

  it("a target's vectors reach the other replica through the feed: the paraphrase hits there", async () => {
    expect((await call(a.gw, chat("What is the capital of France?"), semantic())).status).toBe("SEMANTIC MISS");
    await pollUntil(() => b.cache.semanticEntries() >= 1, "the entry on the other replica");
    const there = await call(b.gw, chat("Tell me France's capital"), semantic());
    expect([there.res.statusCode, there.status]).toEqual([200, "SEMANTIC HIT"]);
    expect(upstream.received).toBe(1);
    expect(embedder.calls.length).toBe(2);
  });
});
