import { describe, expect, it } from "vitest";
import { cacheKey, canonicalJson, type KeyParts, semanticPartition } from "./cache-key.ts";
import { semanticQuery } from "./semantic-query.ts";

const base: KeyParts = {
  tenant: "t1",
  namespace: null,
  metadata: { team: "a" },
  endpoint: "/v1/chat/completions",
  provider: "openai",
  model: "gpt-4o-mini",
  customHost: null,
  providerFields: {},
  body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], temperature: 0 },
};

describe("cache key", () => {
  it("is a SHA-256 hex digest, never the content", () => {
    expect(cacheKey(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("ignores key order and delivery (stream, stream_options), nothing else", () => {
    const reordered = {
      ...base,
      body: { temperature: 0, messages: [{ content: "hi", role: "user" }], model: "gpt-4o-mini" },
    };
    const streamed = {
      ...base,
      body: { ...(base.body as object), stream: true, stream_options: { include_usage: true } },
    };
    expect(cacheKey(reordered)).toBe(cacheKey(base));
    expect(cacheKey(streamed)).toBe(cacheKey(base));
    expect(cacheKey({ ...base, body: { ...(base.body as object), temperature: 1 } })).not.toBe(cacheKey(base));
  });

  it("separates tenants, namespaces, metadata, endpoints, providers, models and hosts", () => {
    const variants: Partial<KeyParts>[] = [
      { tenant: "t2" },
      { namespace: "ns" },
      { metadata: { team: "b" } },
      { endpoint: "/v1/completions" },
      { provider: "groq" },
      { model: "gpt-4o" },
      { customHost: "http://other/v1" },
      { providerFields: { deployment_id: "x" } },
    ];
    const keys = new Set(variants.map((v) => cacheKey({ ...base, ...v })));
    keys.add(cacheKey(base));
    expect(keys.size).toBe(variants.length + 1);
  });

  it("a namespace replaces the metadata as the partition", () => {
    expect(cacheKey({ ...base, namespace: "ns", metadata: { a: "1" } })).toBe(
      cacheKey({ ...base, namespace: "ns", metadata: { b: "2" } }),
    );
  });

  it("canonical JSON sorts keys at every level and drops undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"z":1}]},"b":1}',
    );
  });

  it("canonical JSON orders keys as Array.prototype.sort does (UTF-16 code units), few keys or many", () => {
    // Keys stored under earlier releases' digests must keep their text: the order is sort()'s, exactly.
    const keys = ["b", "B", "_", "é", "😀", "1", "10", "2", "", "Z", "ÿ", "\uffff", "aa", "a", "ab", "a1"];
    for (const n of [2, 5, 16, 17, 40]) {
      const object: Record<string, number> = {};
      for (let i = 0; i < n; i++) object[`${keys[(i * 7) % keys.length]}${i >= keys.length ? i : ""}`] = i;
      const expected = `{${Object.keys(object)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${object[k]}`)
        .join(",")}}`;
      expect(canonicalJson(object)).toBe(expected);
    }
    expect(canonicalJson([1, undefined, [], {}])).toBe("[1,null,[],{}]");
  });
});

describe("semantic query", () => {
  it("embeds the last user message; the system prompt and earlier turns stay in the partition", () => {
    const body = {
      model: "m",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "What is the capital of France?" }] },
      ],
    };
    const q = semanticQuery("/v1/chat/completions", body);
    expect(q?.text).toBe("What is the capital of France?");
    const other = semanticQuery("/v1/chat/completions", {
      ...body,
      messages: [body.messages[0], { role: "user", content: "Tell me France's capital" }],
    });
    expect(semanticPartition(base, other?.rest)).toBe(semanticPartition(base, q?.rest));
    const otherSystem = semanticQuery("/v1/chat/completions", {
      ...body,
      messages: [{ role: "system", content: "Be verbose." }, body.messages[1]],
    });
    expect(semanticPartition(base, otherSystem?.rest)).not.toBe(semanticPartition(base, q?.rest));
  });

  it("has nothing to embed for an assistant last turn, an image part, a prompt list or embeddings", () => {
    expect(semanticQuery("/v1/chat/completions", { messages: [{ role: "assistant", content: "x" }] })).toBeNull();
    expect(
      semanticQuery("/v1/chat/completions", {
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:" } }] }],
      }),
    ).toBeNull();
    expect(semanticQuery("/v1/completions", { prompt: ["a", "b"] })).toBeNull();
    expect(semanticQuery("/v1/completions", { prompt: "a" })?.text).toBe("a");
    expect(semanticQuery("/v1/embeddings", { input: "a" })).toBeNull();
  });
});
