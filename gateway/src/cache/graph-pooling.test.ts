import { readFile } from "node:fs/promises";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { MINILM_DIR } from "./embedder.ts";
import { poolTokensInGraph } from "./graph-pooling.ts";

describe("mean pooling in the graph", () => {
  it("outputs the mean of the per-token states the published graph outputs", async () => {
    const published = new Uint8Array(await readFile(`${MINILM_DIR}all-minilm-l6-v2-q.onnx`));
    const options = { intraOpNumThreads: 1, interOpNumThreads: 1 };
    const tokens = await ort.InferenceSession.create(published, options);
    const pooled = await ort.InferenceSession.create(
      poolTokensInGraph(published, "last_hidden_state", 384, "sentence_embedding"),
      options,
    );
    expect(pooled.outputNames).toEqual(["sentence_embedding"]);
    const ids = [101, 2054, 2003, 1996, 3007, 1997, 2605, 1029, 102]; // [CLS] what is the capital of france ? [SEP]
    const n = ids.length;
    const feeds = {
      input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, n]),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
      token_type_ids: new ort.Tensor("int64", new BigInt64Array(n), [1, n]),
    };
    const states = (await tokens.run(feeds)).last_hidden_state?.data as Float32Array;
    const mean = (await pooled.run(feeds)).sentence_embedding;
    expect(mean?.dims).toEqual([1, 384]);
    const data = mean?.data as Float32Array;
    for (let j = 0; j < 384; j++) {
      let sum = 0;
      for (let t = 0; t < n; t++) sum += states[t * 384 + j]!;
      expect(data[j]).toBeCloseTo(sum / n, 5);
    }
    await tokens.release();
    await pooled.release();
  });
});
