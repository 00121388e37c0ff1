import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Tokenizer } from "@huggingface/tokenizers";
import type { InferenceSession } from "onnxruntime-node";
import { fuseAttention } from "./attention-fusion.ts";
import { poolTokensInGraph } from "./graph-pooling.ts";
import { decodeModel, encodeModel, type Model } from "./onnx-model.ts";
import { asciiWordPiece, type WordPieceVocab, wordPieceVocab } from "./wordpiece.ts";

/** Turns one sentence into a unit vector; null when it is too long to embed faithfully. */
export interface Embedder {
  readonly dimensions: number;
  embed(text: string): Promise<Float32Array | null>;
}

/** all-MiniLM-L6-v2, int8 ONNX (Apache-2.0; gateway/models/all-minilm-l6-v2-q/ with its licence). */
export const MINILM_DIR = fileURLToPath(new URL("../../models/all-minilm-l6-v2-q/", import.meta.url));
const MINILM_DIMENSIONS = 384;
const MINILM_HEADS = 12;
/** The graph output poolTokensInGraph adds: the mean over tokens, [1, 384]. */
const POOLED_OUTPUT = "sentence_embedding";
/** The tokenizer truncates at 128 word pieces: a longer text would be judged by its start alone. */
const MAX_TOKENS = 128;
/** Characters looked at before tokenizing (128 word pieces never need more). */
const MAX_CHARS = 2_000;

export interface MinilmOptions {
  /**
   * Run attention as onnxruntime's fused QAttention kernel (attention-fusion.ts): the same result,
   * ~70 fewer nodes per layer. Default true; false runs the published graph's layers (the fusion
   * test compares the two). A model the fusion does not recognise, or a runtime that cannot load the
   * fused graph, runs as published.
   */
  fuseAttention?: boolean;
  /** Take the mean over tokens in the graph (graph-pooling.ts). Default true. */
  poolInGraph?: boolean;
  /** Tokenize plain ASCII with the lean WordPiece path (wordpiece.ts). Default true. */
  asciiTokenizer?: boolean;
  /** onnxruntime session options over the defaults below (the options bench compares them). */
  session?: InferenceSession.SessionOptions;
}

/**
 * The in-process sentence embedder: a pure-JS WordPiece tokenizer and the ONNX model on
 * onnxruntime-node, one intra-op thread (two made p99 worse on 2 cores). Loaded on first use, so a
 * gateway that never sees a semantic request never loads it. Mean pooling over the tokens, then
 * L2-normalised, as sentence-transformers does. The runtime and tokenizer are imported on first use
 * too (~0.2 s of start-up a gateway without semantic caching never pays).
 */
export function minilmEmbedder(dir: string = MINILM_DIR, options: MinilmOptions = {}): Embedder {
  let loading: Promise<{
    tokenizer: Tokenizer;
    vocab: WordPieceVocab | null;
    session: InferenceSession;
    ort: Ort;
  }> | null = null;
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
        ...options.session,
      });
    // Most rewritten first; a graph a rewrite does not know (another export), or a runtime that
    // cannot load it, falls back to the next: the published graph is as right, only slower.
    // Decoded once (onnx-model.ts); each rewrite makes a new message, encoded once for the runtime.
    const pooled = (model: Model) =>
      encodeModel(
        options.poolInGraph === false
          ? model
          : poolTokensInGraph(model, "last_hidden_state", MINILM_DIMENSIONS, POOLED_OUTPUT),
      );
    const models: Array<() => Uint8Array> = [];
    if (options.fuseAttention !== false) models.push(() => pooled(fuseAttention(decodeModel(published), MINILM_HEADS)));
    models.push(() => pooled(decodeModel(published)));
    let session: InferenceSession | null = null;
    for (const model of models) {
      try {
        session = await create(model());
        break;
      } catch {
        session = null;
      }
    }
    session ??= await create(published);
    return {
      tokenizer: new Tokenizer(tokenizerJson, {}),
      vocab: options.asciiTokenizer === false ? null : wordPieceVocab(tokenizerJson),
      session,
      ort,
    };
  };
  return {
    dimensions: MINILM_DIMENSIONS,
    async embed(text) {
      if (text.length > MAX_CHARS) return null;
      loading ??= load().catch((error: unknown) => {
        loading = null;
        throw error;
      });
      const { tokenizer, vocab, session, ort } = await loading;
      // Plain ASCII (most prompts) takes the lean WordPiece path (wordpiece.ts); the rest the general tokenizer.
      const fast = vocab ? asciiWordPiece(vocab, text, MAX_TOKENS) : undefined;
      if (fast === null) return null;
      const tokens = fast ?? tokenizer.encode(text).ids;
      const n = tokens.length;
      if (n >= MAX_TOKENS) return null;
      const ids = new BigInt64Array(n);
      for (let i = 0; i < n; i++) ids[i] = BigInt(tokens[i] ?? 0);
      const shape = [1, n];
      const output = await session.run({
        input_ids: new ort.Tensor("int64", ids, shape),
        attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), shape),
        token_type_ids: new ort.Tensor("int64", new BigInt64Array(n), shape),
      });
      const pooled = output[POOLED_OUTPUT]?.data as Float32Array | undefined;
      // A fresh array of this run: normalised in place.
      if (pooled?.length === MINILM_DIMENSIONS) return unit(pooled);
      return unit(meanPooled(output.last_hidden_state?.data as Float32Array, n, MINILM_DIMENSIONS));
    },
  };
}

type Ort = typeof import("onnxruntime-node");

/** The sum over tokens (its direction is the mean's). */
function meanPooled(hidden: Float32Array, tokens: number, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (let t = 0; t < tokens; t++) for (let j = 0; j < dims; j++) v[j]! += hidden[t * dims + j]!;
  return v;
}

/** L2-normalised in place, as sentence-transformers does. */
function unit(v: Float32Array): Float32Array {
  let norm = 0;
  for (let j = 0; j < v.length; j++) norm += v[j]! * v[j]!;
  norm = Math.sqrt(norm) || 1;
  for (let j = 0; j < v.length; j++) v[j]! /= norm;
  return v;
}
