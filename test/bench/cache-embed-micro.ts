import { readFileSync } from "node:fs";
import { minilmEmbedder } from "@switchyard/gateway/testing";

/**
 * `node test/bench/cache-embed-micro.ts`: the semantic lookup's embedding in process — the MiniLM
 * graph as published with the general tokenizer and JS pooling (as before), with its attention fused
 * (attention-fusion.ts), and as shipped (also pooled in the graph, ASCII WordPiece) — in
 * interleaved rounds (order rotated) so a busy box's drift hits both alike. Reports main-thread CPU
 * per embedding (what neighbours inflate least; onnxruntime runs on the calling thread) and wall
 * p50/p99, with the load average. Not part of `npm run bench`: a look at where the time goes.
 */
const rounds = Number(process.env.MICRO_ROUNDS ?? 8);
const perRound = Number(process.env.MICRO_PER_ROUND ?? 200);
const subjects = ["capital", "population", "currency", "largest city", "official language", "highest mountain"];
const places = ["France", "Germany", "Japan", "Brazil", "Kenya", "Peru", "Norway", "Vietnam", "Chile", "Ghana"];
const sentence = (i: number) =>
  `Could you tell me the ${subjects[i % subjects.length]} of ${places[(i * 7) % places.length]} (${i})?`;

const variants = {
  // As the embedder was before this work: the published graph, the general tokenizer, JS pooling.
  published: minilmEmbedder(undefined, { fuseAttention: false, poolInGraph: false, asciiTokenizer: false }),
  fused: minilmEmbedder(undefined, { poolInGraph: false, asciiTokenizer: false }),
  shipped: minilmEmbedder(),
};
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
for (const e of Object.values(variants)) for (let i = 0; i < 50; i++) await e.embed(sentence(i));

const loadBefore = load();
const names = Object.keys(variants) as Array<keyof typeof variants>;
const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const wall: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (let j = 0; j < names.length; j++) {
    const name = names[(r + j) % names.length]!;
    const embedder = variants[name];
    const started = process.threadCpuUsage();
    for (let i = 0; i < perRound; i++) {
      const t = performance.now();
      await embedder.embed(sentence(r * perRound + i));
      wall[name]!.push(performance.now() - t);
    }
    const used = process.threadCpuUsage(started);
    cpu[name]!.push((used.user + used.system) / perRound);
  }
}
const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? Number.NaN;
console.log(
  `embedding one sentence (~15 word pieces), ${rounds} interleaved rounds × ${perRound}; load ${loadBefore} → ${load()}`,
);
for (const name of names)
  console.log(
    `${name.padEnd(10)} CPU µs/embed median round ${q(cpu[name]!, 0.5).toFixed(0)} (best ${Math.min(...cpu[name]!).toFixed(0)}); ` +
      `wall p50 ${q(wall[name]!, 0.5).toFixed(3)} ms, p99 ${q(wall[name]!, 0.99).toFixed(3)} ms`,
  );
const saved = (name: string) => ((1 - q(cpu[name]!, 0.5) / q(cpu.published!, 0.5)) * 100).toFixed(1);
console.log(
  `against the published graph: fused attention saves ${saved("fused")}% CPU per embedding; ` +
    `as shipped (fused, pooled in the graph, ASCII tokenizer) ${saved("shipped")}%`,
);
