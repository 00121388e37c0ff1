import { readFileSync } from "node:fs";
import { minilmEmbedder } from "@switchyard/gateway/testing";

/**
 * `node test/bench/cache-embed-micro.ts`: the semantic lookup's embedding in process, in interleaved
 * rounds (order rotated) so a busy box's drift hits every variant alike. Two sets (MICRO_SET):
 * - `graph` (default): the MiniLM graph as published with the general tokenizer and JS pooling (as
 *   before), with its attention fused (attention-fusion.ts), and as shipped (also pooled in the graph,
 *   ASCII WordPiece);
 * - `options`: the shipped embedder under onnxruntime session options the p99 might depend on — one
 *   intra-op thread (as shipped), two with and without spinning, the `extended` level with the batch
 *   dimension fixed to 1.
 * Reports main-thread CPU per embedding (what neighbours inflate least; onnxruntime runs on the calling
 * thread, a second intra-op thread's share is only in the process figure), process CPU, and wall
 * p50/p99, with the load average. Not part of `npm run bench`: where the time goes, and the figures
 * behind the options' choice (gateway/src/cache/README.md).
 */
const rounds = Number(process.env.MICRO_ROUNDS ?? 8);
const perRound = Number(process.env.MICRO_PER_ROUND ?? 200);
const set = process.env.MICRO_SET ?? "graph";
const subjects = ["capital", "population", "currency", "largest city", "official language", "highest mountain"];
const places = ["France", "Germany", "Japan", "Brazil", "Kenya", "Peru", "Norway", "Vietnam", "Chile", "Ghana"];
const sentence = (i: number) =>
  `Could you tell me the ${subjects[i % subjects.length]} of ${places[(i * 7) % places.length]} (${i})?`;
const noSpin = { session: { "intra_op.allow_spinning": "0", "inter_op.allow_spinning": "0" } };

const sets = {
  graph: () => ({
    published: minilmEmbedder(undefined, { fuseAttention: false, poolInGraph: false, asciiTokenizer: false }),
    fused: minilmEmbedder(undefined, { poolInGraph: false, asciiTokenizer: false }),
    shipped: minilmEmbedder(),
  }),
  options: () => ({
    shipped: minilmEmbedder(),
    "2 threads, no spin": minilmEmbedder(undefined, { session: { intraOpNumThreads: 2, extra: noSpin } }),
    "2 threads, spin": minilmEmbedder(undefined, { session: { intraOpNumThreads: 2 } }),
    "extended, batch 1": minilmEmbedder(undefined, {
      session: { graphOptimizationLevel: "extended", freeDimensionOverrides: { batch_size: 1 } },
    }),
  }),
};
if (set !== "graph" && set !== "options") throw new Error(`MICRO_SET must be graph or options, not ${set}`);
const variants: Record<string, ReturnType<typeof minilmEmbedder>> = sets[set]();
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
for (const e of Object.values(variants)) for (let i = 0; i < 50; i++) await e.embed(sentence(i));

const loadBefore = load();
const names = Object.keys(variants);
const main: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const all: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const wall: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (let j = 0; j < names.length; j++) {
    const name = names[(r + j) % names.length]!;
    const embedder = variants[name]!;
    const thread = process.threadCpuUsage();
    const process0 = process.cpuUsage();
    for (let i = 0; i < perRound; i++) {
      const t = performance.now();
      await embedder.embed(sentence(r * perRound + i));
      wall[name]!.push(performance.now() - t);
    }
    const used = process.threadCpuUsage(thread);
    const usedAll = process.cpuUsage(process0);
    main[name]!.push((used.user + used.system) / perRound);
    all[name]!.push((usedAll.user + usedAll.system) / perRound);
  }
}
const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? Number.NaN;
console.log(
  `embedding one sentence (~15 word pieces), ${rounds} interleaved rounds × ${perRound}; load ${loadBefore} → ${load()}`,
);
for (const name of names)
  console.log(
    `${name.padEnd(20)} CPU µs/embed median round: main thread ${q(main[name]!, 0.5).toFixed(0)} (best ${Math.min(...main[name]!).toFixed(0)}), ` +
      `process ${q(all[name]!, 0.5).toFixed(0)}; wall p50 ${q(wall[name]!, 0.5).toFixed(3)} ms, p99 ${q(wall[name]!, 0.99).toFixed(3)} ms`,
  );
if (set === "graph") {
  const saved = (name: string) => ((1 - q(main[name]!, 0.5) / q(main.published!, 0.5)) * 100).toFixed(1);
  console.log(
    `against the published graph: fused attention saves ${saved("fused")}% CPU per embedding; ` +
      `as shipped (fused, pooled in the graph, ASCII tokenizer) ${saved("shipped")}%`,
  );
}
