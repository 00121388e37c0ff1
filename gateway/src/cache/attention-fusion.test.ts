import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { fuseAttention } from "./attention-fusion.ts";
import { MINILM_DIR, minilmEmbedder } from "./embedder.ts";
import { decodeModel } from "./onnx-model.ts";

/** The shipped model, as published and with its attention fused: the same embeddings, far fewer nodes. */
describe("attention fusion of the shipped MiniLM", () => {
  const ops = (model: Uint8Array) => {
    const counts = new Map<string, number>();
    for (const { opType } of decodeModel(model).graph?.node ?? []) counts.set(opType, (counts.get(opType) ?? 0) + 1);
    return counts;
  };

  it("replaces each layer's attention with one QAttention and drops the dead nodes", async () => {
    const published = new Uint8Array(await readFile(`${MINILM_DIR}all-minilm-l6-v2-q.onnx`));
    const before = ops(published);
    const after = ops(fuseAttention(published, 12));
    expect(after.get("QAttention")).toBe(6);
    // Q, K, V projections (3 per layer) are gone; the output and feed-forward ones (3 per layer) stay.
    expect(after.get("MatMulInteger")).toBe(18);
    expect(after.get("Transpose") ?? 0).toBe(0);
    expect(after.get("Softmax") ?? 0).toBe(0);
    const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    expect(total(after)).toBeLessThan(total(before) / 2);
  });

  it("embeds every sentence as the published graph does", async () => {
    const fused = minilmEmbedder();
    const published = minilmEmbedder(MINILM_DIR, { fuseAttention: false });
    const sentences = [
      "What is the capital of France?",
      "Tell me France's capital",
      "How do I bake bread?",
      "a",
      "Ünïcödé, emoji 🙂 and punctuation: (really?!) — 42 × 7 = 294.",
      "Summarise the following paragraph in three sentences for a busy executive who has no time to read it.",
      "SELECT * FROM users WHERE id = 1; -- a query, not a question",
      "word ".repeat(120).trim(),
    ];
    for (const text of sentences) {
      const a = await fused.embed(text);
      const b = await published.embed(text);
      expect(a).not.toBeNull();
      expect(b).not.toBeNull();
      const cosine = a!.reduce((sum, x, i) => sum + x * b![i]!, 0);
      expect(cosine, text).toBeGreaterThan(0.9999);
      const maxDiff = a!.reduce((m, x, i) => Math.max(m, Math.abs(x - b![i]!)), 0);
      expect(maxDiff, text).toBeLessThan(1e-3);
    }
  });
});
