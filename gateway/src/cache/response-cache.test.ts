import { createLogger } from "@switchyard/platform";
import { describe, expect, it } from "vitest";
import { type Embedder, minilmEmbedder } from "./embedder.ts";
import { DEFAULT_CACHE_SETTINGS, ResponseCache } from "./response-cache.ts";

describe("response cache embeddings", () => {
  it("runs the model once per text: the same sentence in another partition reuses its vector", async () => {
    const model = minilmEmbedder();
    let runs = 0;
    const counting: Embedder = {
      dimensions: model.dimensions,
      embed: (text) => {
        runs += 1;
        return model.embed(text);
      },
    };
    const cache = new ResponseCache(DEFAULT_CACHE_SETTINGS, {
      logger: createLogger({ name: "test", level: "silent" }),
      embedder: counting,
    });
    try {
      const first = await cache.embed("What is the capital of France?");
      const again = await cache.embed("What is the capital of France?");
      expect(again).toBe(first);
      expect(runs).toBe(1);
      const other = await cache.embed("Tell me France's capital");
      expect(other).not.toBe(first);
      expect(runs).toBe(2);
      // Too long to embed: not remembered, and still no vector.
      expect(await cache.embed("word ".repeat(200))).toBeNull();
      expect(await cache.embed("word ".repeat(200))).toBeNull();
      expect(runs).toBe(4);
    } finally {
      await cache.close();
    }
  });
});
