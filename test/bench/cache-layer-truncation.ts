import { readFileSync } from "node:fs";
import {
  asciiWordPiece,
  decodeModel,
  encodeModel,
  graphWith,
  MINILM_DIR,
  type Model,
  withGraph,
  wordPieceVocab,
} from "@switchyard/gateway/testing";
import ort from "onnxruntime-node";

/**
 * `node test/bench/cache-layer-truncation.ts`: would a shallower MiniLM (its first 5, 4 or 3 of 6
 * layers, mean-pooled, no retraining) still tell a paraphrase from a near miss? It would cut the
 * embedding's CPU by 1/6 per layer dropped, but no smaller sentence-transformer is published in a
 * registry this project can install from (Maven Central ships MiniLM-L6, e5-small and bge-small, both
 * 12 layers), so a truncated graph is the only smaller model at hand. Scores pairs of one-sentence
 * prompts (paraphrases, near misses, unrelated) per depth, plus the semantic test's pairs. Runs the
 * published graph (no fusion, pooling in JS); prints figures, asserts nothing.
 */
const PAIRS: Record<"paraphrase" | "near miss" | "unrelated", Array<[string, string]>> = {
  paraphrase: [
    ["What is the capital of France?", "Tell me France's capital"],
    ["What's the weather like in Paris today?", "How is the weather in Paris today?"],
    ["Who wrote Hamlet?", "Who is the author of Hamlet?"],
    ["How do I reset my password?", "How can I change my password if I forgot it?"],
    ["How do you say good morning in Spanish?", "What is good morning in Spanish?"],
    ["How do I bake bread at home?", "What's a simple way to make bread at home?"],
    ["What is the boiling point of water?", "At what temperature does water boil?"],
    ["How many people live in Tokyo?", "What is the population of Tokyo?"],
    ["Can you recommend a good book about history?", "Suggest a good history book"],
    ["How do I install Python on Windows?", "What are the steps to install Python on Windows?"],
    ["What is the tallest mountain in the world?", "Which mountain is the highest on Earth?"],
    ["How long does it take to boil an egg?", "How many minutes should I boil an egg?"],
    ["Translate hello into French", "How do you say hello in French?"],
    ["What are the symptoms of the flu?", "What symptoms does influenza cause?"],
    ["Explain how photosynthesis works", "How does photosynthesis work?"],
    ["What time zone is New York in?", "Which time zone does New York use?"],
    ["Who painted the Mona Lisa?", "Who was the painter of the Mona Lisa?"],
    ["How do I sort a list in Python?", "What's the way to sort a Python list?"],
    ["What is the speed of light?", "How fast does light travel?"],
    ["Give me a recipe for pancakes", "How do I make pancakes?"],
    ["What is the currency of Japan?", "Which currency is used in Japan?"],
    ["How do I cancel my subscription?", "I want to cancel my subscription, how?"],
    ["What does CPU stand for?", "What is CPU short for?"],
    ["When did World War II end?", "In what year did the Second World War end?"],
  ],
  "near miss": [
    ["What is 2+2?", "What is 2+3?"],
    ["How do you say good morning in Spanish?", "How do you say good morning in French?"],
    ["What is the capital of France?", "What is the population of France?"],
    ["What is the capital of France?", "What is the capital of Germany?"],
    ["Who wrote Hamlet?", "Who wrote Macbeth?"],
    ["How do I install Python on Windows?", "How do I install Python on Linux?"],
    ["What is the boiling point of water?", "What is the freezing point of water?"],
    ["How many people live in Tokyo?", "How many people live in Osaka?"],
    ["What is the currency of Japan?", "What is the currency of China?"],
    ["How do I reset my password?", "How do I reset my username?"],
    ["What is the tallest mountain in the world?", "What is the longest river in the world?"],
    ["Translate hello into French", "Translate goodbye into French"],
    ["When did World War II end?", "When did World War I end?"],
    ["How do I sort a list in Python?", "How do I sort a list in Java?"],
    ["Who painted the Mona Lisa?", "Who painted the Sistine Chapel ceiling?"],
    ["What are the symptoms of the flu?", "What are the symptoms of a cold?"],
    ["How do I cancel my subscription?", "How do I upgrade my subscription?"],
    ["What time zone is New York in?", "What time zone is London in?"],
  ],
  unrelated: [
    ["What is the capital of France?", "How do I bake bread?"],
    ["Who wrote Hamlet?", "How do I reset my password?"],
    ["What is the speed of light?", "Give me a recipe for pancakes"],
    ["Tell me a joke", "What are the symptoms of the flu?"],
    ["How do I sort a list in Python?", "When did World War II end?"],
    ["What's the weather like in Paris today?", "Explain how photosynthesis works"],
  ],
};
/** semantic.test.ts's pairs and the bounds it asserts for the shipped model. */
const TESTED: Array<[string, string, string]> = [
  ["What is the capital of France?", "Tell me France's capital", "> 0.9"],
  ["What is the capital of France?", "What is the capital of Germany?", "< 0.8"],
  ["What is the capital of France?", "How do I bake bread?", "< 0.3"],
  ["What is 2+2?", "What is 2+3?", "< 0.9"],
];

const tokenizerJson = JSON.parse(readFileSync(`${MINILM_DIR}all-minilm-l6-v2-q-tokenizer.json`, "utf8"));
const vocab = wordPieceVocab(tokenizerJson);
if (!vocab) throw new Error("the tokenizer is not the BERT WordPiece one wordpiece.ts reads");
const published = decodeModel(new Uint8Array(readFileSync(`${MINILM_DIR}all-minilm-l6-v2-q.onnx`)));

/** The graph's output taken after layer `layers` (its last LayerNorm), dead nodes dropped. */
function truncated(model: Model, layers: number): Uint8Array {
  const graph = model.graph;
  if (!graph) throw new Error("model has no graph");
  if (layers === 6) return encodeModel(model);
  const last = `/encoder/layer.${layers - 1}/output/LayerNorm/Add_1_output_0`;
  const output = graph.output[0]!;
  // Renaming the layer's output to the graph's output keeps the output's declaration; the layers
  // after it lose their consumer and are dropped below.
  const rename = (o: string) => (o === last ? output.name : o === output.name ? `${o}/dropped` : o);
  const nodes = graph.node.map((n) => ({ ...n, input: n.input.map(rename), output: n.output.map(rename) }));
  const live = new Set([output.name]);
  const kept: typeof nodes = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.output.some((o) => live.has(o))) continue;
    for (const input of n.input) live.add(input);
    kept.push(n);
  }
  kept.reverse();
  const g = graphWith(graph, {
    node: kept,
    initializer: graph.initializer.filter((t) => live.has(t.name)),
    valueInfo: [],
  });
  return encodeModel(withGraph(model, g));
}

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))]!;
for (const layers of [6, 5, 4, 3]) {
  const session = await ort.InferenceSession.create(truncated(published, layers), { intraOpNumThreads: 1 });
  const embed = async (text: string) => {
    const ids = asciiWordPiece(vocab, text, 128);
    if (!ids) throw new Error(`not plain ASCII: ${text}`);
    const n = ids.length;
    const shape = [1, n];
    const out = await session.run({
      input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), shape),
      attention_mask: new ort.Tensor("int64", new BigInt64Array(n).fill(1n), shape),
      token_type_ids: new ort.Tensor("int64", new BigInt64Array(n), shape),
    });
    const hidden = Object.values(out)[0]!.data as Float32Array;
    const v = new Float32Array(384);
    for (let t = 0; t < n; t++) for (let j = 0; j < 384; j++) v[j]! += hidden[t * 384 + j]!;
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  const cosine = async (a: string, b: string) => {
    const [x, y] = [await embed(a), await embed(b)];
    return x.reduce((s, v, j) => s + v * y[j]!, 0);
  };
  const scores: Record<string, number[]> = {};
  for (const [kind, pairs] of Object.entries(PAIRS)) {
    scores[kind] = [];
    for (const [a, b] of pairs) scores[kind].push(await cosine(a, b));
  }
  const nearMax = Math.max(...scores["near miss"]!);
  const above = scores.paraphrase!.filter((s) => s > nearMax).length;
  const tested: string[] = [];
  for (const [a, b, bound] of TESTED) tested.push(`${(await cosine(a, b)).toFixed(2)} (${bound})`);
  console.log(
    `${layers} layers: paraphrases min ${Math.min(...scores.paraphrase!).toFixed(2)} median ${q(scores.paraphrase!, 0.5).toFixed(2)}; ` +
      `near misses median ${q(scores["near miss"]!, 0.5).toFixed(2)} max ${nearMax.toFixed(2)}; ` +
      `unrelated max ${Math.max(...scores.unrelated!).toFixed(2)}; paraphrases above every near miss ${above}/${scores.paraphrase!.length}; ` +
      `semantic.test.ts pairs: ${tested.join(", ")}`,
  );
}
