import { readFileSync } from "node:fs";
import { minilmEmbedder } from "@switchyard/gateway/testing";

/**
 * `node test/bench/cache-embed-options.ts`: the shipped embedder (fused, pooled in the graph, ASCII
 * WordPiece) under onnxruntime session options the semantic lookup's p99 might depend on — one
 * intra-op thread (as shipped), two with and without spinning, the `extended` optimisation level
 * with the batch dimension fixed to 1 — in interleaved rounds (order rotated) so a busy box's drift
 * hits all alike. Reports main-thread CPU per embedding (a second intra-op thread's share is not in
 * it: compare the wall figures too), process CPU, and wall p50/p99, with the load average. Not part
 * of `npm run bench`: the figures behind the options' choice (gateway/src/cache/README.md).
 */
const rounds = Number(process.env.MICRO_ROUNDS ?? 8);
const perRound = Number(process.env.MICRO_PER_ROUND ?? 200);
const subjects = ["capital", "population", "currency", "largest city", "official language", "highest mountain"];
const places = ["France", "Germany", "Japan", "Brazil", "Kenya", "Peru", "Norway", "Vietnam", "Chile", "Ghana"];
const sentence = (i: number) =>
  `Could you tell me the ${subjects[i % subjects.length]} of ${places[(i * 7) % places.length]} (${i})?`;
const noSpin = { session: { "intra_op.allow_spinning": "0", "inter_op.allow_spinning": "0" } };

const variants = {
  shipped: minilmEmbedder(),
  "2 threads, no spin": minilmEmbedder(undefined, { session: { intraOpNumThreads: 2, extra: noSpin } }),
  "2 threads, spin": minilmEmbedder(undefined, { session: { intraOpNumThreads: 2 } }),
  "extended, batch 1": minilmEmbedder(undefined, {
    session: { graphOptimizationLevel: "extended", freeDimensionOverrides: { batch_size: 1 } },
  }),
};
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
for (const e of Object.values(variants)) for (let i = 0; i < 50; i++) await e.embed(sentence(i));

const loadBefore = load();
const names = Object.keys(variants) as Array<keyof typeof variants>;
const main: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const all: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const wall: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (let j = 0; j < names.length; j++) {
    const name = names[(r + j) % names.length]!;
    const embedder = variants[name];
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
    `${name.padEnd(20)} CPU µs/embed median round: main thread ${q(main[name]!, 0.5).toFixed(0)}, process ${q(all[name]!, 0.5).toFixed(0)}; ` +
      `wall p50 ${q(wall[name]!, 0.5).toFixed(3)} ms, p99 ${q(wall[name]!, 0.99).toFixed(3)} ms`,
  );
