import { readFileSync } from "node:fs";
import { minilmEmbedder } from "@switchyard/gateway/testing";
import usearch from "usearch";
import { PROMPT_PLACES, PROMPT_SUBJECTS, promptForms } from "./cache-semantic-case.ts";

/**
 * `node test/bench/cache-index-recall.ts`: what the semantic index's vector type and search expansion
 * cost and lose (semantic-index.ts). A partition of 9,600 real embeddings (16 subjects × 60 countries ×
 * 10 phrasings), 1,000 queries (600 near paraphrases with a number in them, as the bench's, and 400
 * others), each index variant against the exact nearest neighbour: top-1 agreement, the same hit
 * decision at 0.9, the similarity's error; search CPU with the index hot (a loop of searches) and the
 * wall time of a search right after an embedding (as a lookup runs it: the model run has pushed the
 * index out of the CPU caches), with the load average. Prints figures; asserts nothing.
 * `RECALL_EXPANSIONS=0,48,40` picks the search expansions (0: usearch's default, 64), `RECALL_TYPES=f16`
 * the vector types; with the shipped variant (f16, default) among them, each variant's answers are
 * compared with its per query.
 */
const D = 384;
const subjects = PROMPT_SUBJECTS;
const places = PROMPT_PLACES;
const forms = promptForms;

const embedder = minilmEmbedder();
const embed = async (text: string) => {
  const v = await embedder.embed(text);
  if (!v) throw new Error(`no embedding for ${text}`);
  return v;
};
const data: Float32Array[] = [];
for (const s of subjects) for (const p of places) for (const f of forms(s, p)) data.push(await embed(f));
const queryText = (i: number) =>
  i < 600
    ? `Could you tell me the ${subjects[i % subjects.length]} of ${places[(i * 7) % places.length]} (${i})?`
    : i % 2
      ? `Please name the ${subjects[(i * 3) % subjects.length]} of ${places[(i * 11) % places.length]}`
      : `How do I bake ${["bread", "a cake", "cookies", "pizza"][i % 4]} number ${i}?`;
const queries: Float32Array[] = [];
for (let i = 0; i < 1000; i++) queries.push(await embed(queryText(i)));
const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let j = 0; j < D; j++) s += a[j]! * b[j]!;
  return s;
};
const exact = queries.map((q) => {
  let best = -2;
  let at = -1;
  data.forEach((v, i) => {
    const s = dot(v, q);
    if (s > best) [best, at] = [s, i];
  });
  return { at, best };
});

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const { Index, MetricKind, ScalarKind } = usearch;
console.log(
  `${data.length} vectors, ${queries.length} queries (exact nearest ≥ 0.9 for ${exact.filter((x) => x.best >= 0.9).length}); load ${load()}`,
);
// What each variant serves per query (the neighbour's label at or above 0.9, or null), against what the
// shipped index (f16, usearch's default expansion) serves: a setting that keeps the hit decisions must
// serve the same answer for every query, not only as many right ones.
const served = new Map<string, Array<number | null>>();
const types = (process.env.RECALL_TYPES ?? "f32,f16").split(",");
for (const [name, kind] of [
  ["f32", ScalarKind.F32],
  ["f16", ScalarKind.F16],
] as const)
  for (const expansion of (process.env.RECALL_EXPANSIONS ?? "0,32,24,16").split(",").map(Number)) {
    if (!types.includes(name)) continue;
    const answers: Array<number | null> = [];
    served.set(`${name} expansion_search ${expansion || "default"}`, answers);
    // As semantic-index.ts builds it: cosine, connectivity 16, default expansion_add; 0 = usearch's default search expansion.
    const index = new Index(D, MetricKind.Cos, kind, 16, 0, expansion);
    for (const [i, v] of data.entries()) index.add(BigInt(i), v);
    let top1 = 0;
    let decision = 0;
    let error = 0;
    const cpu = process.threadCpuUsage();
    queries.forEach((q, k) => {
      const m = index.search(q, 4, 1);
      const similarity = 1 - m.distances[0]!;
      const want = exact[k]!;
      if (Number(m.keys[0]) === want.at) {
        top1 += 1;
        error = Math.max(error, Math.abs(similarity - want.best));
      }
      if (similarity >= 0.9 === want.best >= 0.9) decision += 1;
      answers.push(similarity >= 0.9 ? Number(m.keys[0]) : null);
    });
    const used = process.threadCpuUsage(cpu);
    // In situ: one search right after each embedding.
    const cold: number[] = [];
    for (let i = 0; i < 200; i++) {
      const q = await embed(`${queryText(i)} again`);
      const t = performance.now();
      index.search(q, 4, 1);
      cold.push((performance.now() - t) * 1000);
    }
    cold.sort((a, b) => a - b);
    console.log(
      `${name} expansion_search ${expansion || "default"}: top-1 = exact ${top1}/${queries.length}, ` +
        `hit decision at 0.9 the same ${decision}/${queries.length}, |Δ similarity| ≤ ${error.toExponential(1)}; ` +
        `hot ${((used.user + used.system) / queries.length).toFixed(0)} µs CPU/search; ` +
        `after an embedding p50 ${cold[100]!.toFixed(0)} µs, p99 ${cold[198]!.toFixed(0)} µs`,
    );
  }
const shipped = served.get("f16 expansion_search default");
if (shipped)
  for (const [variant, answers] of served)
    console.log(
      `${variant}: serves what the shipped index serves for ${answers.filter((a, k) => a === shipped[k]).length}/${queries.length} queries`,
    );
console.log(`load ${load()}`);
