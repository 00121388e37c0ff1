import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Tokenizer } from "@huggingface/tokenizers";
import type { InferenceSession } from "onnxruntime-node";
import { fuseAttention } from "./attention-fusion.ts";

/** Turns one sentence into a unit vector; null when it is too long to embed faithfully. */
export interface Embedder {
  readonly dimensions: number;
  embed(text: string): Promise<Float32Array | null>;
}

/** all-MiniLM-L6-v2, int8 ONNX (Apache-2.0; gateway/models/all-minilm-l6-v2-q/ with its licence). */
export const MINILM_DIR = fileURLToPath(new URL("../../models/all-minilm-l6-v2-q/", import.meta.url));
const MINILM_DIMENSIONS = 384;
const MINILM_HEADS = 12;
/** The tokenizer truncates at 128 word pieces: a longer text would be judged by its start alone. */
const MAX_TOKENS = 128;
/** Characters looked at before tokenizing (128 word pieces never need more). */
const MAX_CHARS = 2_000;

export interface MinilmOptions {
  /**
   * Run attention as onnxruntime's fused QAttention kernel (attention-fusion.ts): the same result,
   * ~70 fewer nodes per layer. Default true; false runs the graph as published (the fusion test
   * compares the two). A model the fusion does not recognise, or a runtime that cannot load the
   * fused graph, runs as published.
   */
  fuseAttention?: boolean;
}

/**
 * The in-process sentence embedder: a pure-JS WordPiece tokenizer and the ONNX model on
 * onnxruntime-node, one intra-op thread (two made p99 worse on 2 cores). Loaded on first use, so a
 * gateway that never sees a semantic request never loads it. Mean pooling over the tokens, then
 * L2-normalised, as sentence-transformers does. The runtime and tokenizer are imported on first use
 * too (~0.2 s of start-up a gateway without semantic caching never pays).
 */
export function minilmEmbedder(dir: string = MINILM_DIR, options: MinilmOptions = {}): Embedder {
  let loading: Promise<{ tokenizer: Tokenizer; session: InferenceSession; ort: Ort }> | null = null;
  const load = async () => {
    const [ort, { Tokenizer }] = await Promise.all([import("onnxruntime-node"), import("@huggingface/tokenizers")]);
    const tokenizerJson = JSON.parse(await readFile(`${dir}all-minilm-l6-v2-q-tokenizer.json`, "utf8"));
    const published = new Uint8Array(await readFile(`${dir}all-minilm-l6-v2-q.onnx`));
    const create = (model: Uint8Array) =>
      ort.InferenceSession.create(model, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
      });
    let session: InferenceSession | null = null;
    if (options.fuseAttention !== false) {
      // A graph the fusion does not know (another export), or a runtime without the fused kernel:
      // the published graph is as right, only slower.
      try {
        session = await create(fuseAttention(published, MINILM_HEADS));
      } catch {
        session = null;
      }
    }
    session ??= await create(published);
    return { tokenizer: new Tokenizer(tokenizerJson, {}), session, ort };
  };
  return {
    dimensions: MINILM_DIMENSIONS,
    async embed(text) {
      if (text.length > MAX_CHARS) return null;
      loading ??= load().catch((error: unknown) => {
        loading = null;
        throw error;
      });
      const { tokenizer, session, ort } = await loading;
      const encoded = tokenizer.encode(text);
      const n = encoded.ids.length;
      if (n >= MAX_TOKENS) return null;
      const ids = new BigInt64Array(n);
      for (let i = 0; i < n; i++) ids[i] = BigInt(encoded.ids[i] ?? 0);
      const shape = [1, n];
      const output = await session.run({
        input_ids: new ort.Tensor("int64", ids, shape),
        attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), shape),
        token_type_ids: new ort.Tensor("int64", new BigInt64Array(n), shape),
      });
      const hidden = output.last_hidden_state?.data as Float32Array;
      return meanPooledUnit(hidden, n, MINILM_DIMENSIONS);
    },
  };
}

type Ort = typeof import("onnxruntime-node");

function meanPooledUnit(hidden: Float32Array, tokens: number, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (let t = 0; t < tokens; t++) for (let j = 0; j < dims; j++) v[j]! += hidden[t * dims + j]!;
  let norm = 0;
  for (let j = 0; j < dims; j++) norm += v[j]! * v[j]!;
  norm = Math.sqrt(norm) || 1;
  for (let j = 0; j < dims; j++) v[j]! /= norm;
  return v;
}
