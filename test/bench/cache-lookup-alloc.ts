import { Session } from "node:inspector/promises";
import { seedSemanticCache } from "./cache-semantic-case.ts";

/**
 * `node test/bench/cache-lookup-alloc.ts [lookups]`: what a semantic lookup allocates, by function —
 * the garbage that brings young-generation collections into lookups (cache-lookup-spans.ts counts
 * them). V8's sampling heap profiler over the bench's lookups (through the cache stage, 2,000
 * entries), every 256 bytes, objects the collectors already freed included; bytes per lookup, total
 * and by allocating function. The bench's own context objects (`attempt`, `lookup`) are in it, as the
 * gateway makes its own. Not part of `npm run bench`.
 */
interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}
const lookups = Number(process.argv[2] ?? 1_000);
const { cache, stage, text } = await seedSemanticCache();
for (let i = 0; i < 200; i++) await stage.lookup(text(100_000 + i));
const session = new Session();
session.connect();
await session.post("HeapProfiler.enable");
await session.post("HeapProfiler.startSampling", {
  samplingInterval: 256,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
for (let i = 0; i < lookups; i++) await stage.lookup(text(i));
const { profile } = (await session.post("HeapProfiler.stopSampling")) as { profile: { head: Node } };
session.disconnect();
await cache.close();
const bySite = new Map<string, number>();
let total = 0;
const walk = (n: Node) => {
  const f = n.callFrame;
  const site = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
  if (n.selfSize > 0) {
    bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
    total += n.selfSize;
  }
  for (const c of n.children) walk(c);
};
walk(profile.head);
console.log(`allocated per lookup (sampled, ${lookups} lookups): ${(total / lookups / 1024).toFixed(1)} KB`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`${(bytes / lookups).toFixed(0).padStart(7)} B  ${site}`);
