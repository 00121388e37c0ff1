import { describe, expect, it } from "vitest";
import { minilmEmbedder } from "./embedder.ts";
import { memoryStore } from "./memory-store.ts";
import { createSemanticIndex } from "./semantic-index.ts";

/** The real all-MiniLM-L6-v2 (int8 ONNX) shipped in gateway/models: no network, no service. */
describe("semantic similarity with the shipped sentence-embedding model", () => {
  const embedder = minilmEmbedder();
  const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
  const vector = async (text: string) => {
    const v = await embedder.embed(text);
    if (v === null) throw new Error(`no embedding for ${text}`);
    return v;
  };

  it("a paraphrase is near, a different country and an unrelated question are not", async () => {
    const france = await vector("What is the capital of France?");
    expect(france.length).toBe(384);
    expect(cosine(france, france)).toBeCloseTo(1, 5);
    expect(cosine(france, await vector("Tell me France's capital"))).toBeGreaterThan(0.9);
    expect(cosine(france, await vector("What is the capital of Germany?"))).toBeLessThan(0.8);
    expect(cosine(france, await vector("How do I bake bread?"))).toBeLessThan(0.3);
    // The closest near miss measured stays under the default threshold (README.md: 0.9).
    expect(cosine(await vector("What is 2+2?"), await vector("What is 2+3?"))).toBeLessThan(0.9);
  });

  it("the index finds the paraphrase in its partition only, at or above the threshold", async () => {
    const index = await createSemanticIndex({
      dimensions: 384,
      maxPartitions: 10,
      maxPerPartition: 10,
      maxVectors: 100,
    });
    const expiresAt = Date.now() + 60_000;
    index.add({ partition: "p", key: "france", vector: await vector("What is the capital of France?"), expiresAt });
    index.add({ partition: "p", key: "bread", vector: await vector("How do I bake bread?"), expiresAt });
    const paraphrase = await vector("Tell me France's capital");
    expect(index.nearest("p", paraphrase, 0.9)?.key).toBe("france");
    expect(index.nearest("other", paraphrase, 0.9)).toBeNull();
    expect(index.nearest("p", await vector("What is the capital of Germany?"), 0.9)).toBeNull();
    index.forget("p", "france");
    expect(index.nearest("p", paraphrase, 0.9)).toBeNull();
  });

  it("expired vectors are skipped; each partition keeps at most its bound (oldest dropped)", async () => {
    let now = 1_000;
    const index = await createSemanticIndex({
      dimensions: 384,
      maxPartitions: 10,
      maxPerPartition: 2,
      maxVectors: 100,
      now: () => now,
    });
    const v = await vector("What is the capital of France?");
    index.add({ partition: "p", key: "a", vector: v, expiresAt: 2_000 });
    expect(index.nearest("p", v, 0.9)?.key).toBe("a");
    now = 2_000;
    expect(index.nearest("p", v, 0.9)).toBeNull();
    index.add({ partition: "p", key: "b", vector: v, expiresAt: 9_000 });
    index.add({ partition: "p", key: "c", vector: await vector("How do I bake bread?"), expiresAt: 9_000 });
    index.add({ partition: "p", key: "d", vector: await vector("Tell me a joke"), expiresAt: 9_000 });
    expect(index.size()).toBe(2);
    expect(index.nearest("p", v, 0.9)).toBeNull();
  });

  it("holds at most maxVectors in all, dropping from the least recently used partition", async () => {
    const index = await createSemanticIndex({ dimensions: 384, maxPartitions: 10, maxPerPartition: 10, maxVectors: 3 });
    const v = await vector("What is the capital of France?");
    const expiresAt = Date.now() + 60_000;
    index.add({ partition: "old", key: "o1", vector: v, expiresAt });
    index.add({ partition: "old", key: "o2", vector: v, expiresAt });
    index.add({ partition: "new", key: "n1", vector: v, expiresAt });
    index.add({ partition: "new", key: "n2", vector: v, expiresAt });
    expect(index.size()).toBe(3);
    expect(index.nearest("new", v, 0.9)).not.toBeNull();
    index.add({ partition: "new", key: "n3", vector: v, expiresAt });
    index.add({ partition: "new", key: "n4", vector: v, expiresAt });
    expect(index.size()).toBe(3);
    expect(index.nearest("old", v, 0.9)).toBeNull();
  });

  it("a text too long to embed faithfully (over 128 word pieces) has no embedding", async () => {
    expect(await embedder.embed("word ".repeat(200))).toBeNull();
  });
});

describe("in-process store", () => {
  it("is bounded by bytes (least recently used evicted) and counts evictions", async () => {
    const store = memoryStore(100);
    await store.set("a", Buffer.alloc(40), 60);
    await store.set("b", Buffer.alloc(40), 60);
    await store.get("a");
    await store.set("c", Buffer.alloc(40), 60);
    expect(await store.get("b")).toBeNull();
    expect(await store.get("a")).not.toBeNull();
    expect(store.stats()).toMatchObject({ entries: 2, evictions: 1 });
    await store.set("huge", Buffer.alloc(500), 60);
    expect(await store.get("huge")).toBeNull();
  });
});
