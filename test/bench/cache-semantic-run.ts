import { measureSemanticLookup } from "./cache-semantic-case.ts";

/**
 * `node test/bench/cache-semantic-run.ts [lookups]`: the bench's semantic case alone (cache-case.ts runs
 * it inside `npm run bench` after the HTTP cases), for repeated before/after runs of the lookup path.
 */
const lookups = Number(process.argv[2] ?? 500);
const r = await measureSemanticLookup(lookups);
console.log(
  `semantic lookup through the cache stage (${r.lookups} over ${r.entries} entries; ${JSON.stringify(r.statuses)}): p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms; ` +
    `search + fetch p50 ${r.searchP50Ms.toFixed(3)} ms, p99 ${r.searchP99Ms.toFixed(3)} ms; ` +
    `main-thread CPU ${r.mainThreadCpuMsPerLookup.toFixed(3)} ms, process CPU ${r.cpuMicrosPerLookup.toFixed(0)} µs per lookup; ` +
    `load ${r.loadBefore} → ${r.loadAfter}`,
);
