import { readFileSync } from "node:fs";
import { seedSemanticCache } from "./cache-semantic-case.ts";

/**
 * `node test/bench/cache-lookup-spans.ts [lookups]`: where a semantic lookup's wall time goes, span by
 * span, over the bench's own lookups (cache-semantic-case.ts: 2,000 entries, one-sentence prompts,
 * through the cache stage). The lookup runs unchanged; the probe wraps what it passes through with
 * performance.now() marks: the cache's `get` (exact lookup, then the neighbour's answer), the
 * embedder's `embed`, onnxruntime's `InferenceSession.run`, usearch's `search`. Spans: `policy+key`
 * (attempt policy, canonical body + SHA-256), `exact lookup`, `query+text sha` (embedded text, the
 * vector LRU's SHA-256), `tokenize+tensors`, `run checks+hop` (onnxruntime's argument checks and its
 * `setImmediate` hop), `model (native)` (plus the output tensor's wrapper), `output+unit`
 * (normalisation, promise hops), `partition+hops` (the partition's canonical JSON + SHA-256), `search`,
 * `fetch` (store get + decode), `reply` (the hit reply or the next stage's call). Prints p50/p99 of
 * each and its mean over the lookups at or above the p99 (what makes a p99), with the GC pauses
 * (PerformanceObserver "gc"). Not part of `npm run bench`.
 */
const lookups = Number(process.argv[2] ?? 2_000);
const ort = await import("onnxruntime-node");
const usearch = await import("usearch");

const marks: Record<string, number> = {};
const mark = (name: string) => {
  marks[name] = performance.now();
};
const wrap = <T extends object>(owner: T, method: keyof T, before: string, after: string | null) => {
  const original = owner[method] as (...args: unknown[]) => unknown;
  (owner as Record<keyof T, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
    mark(before);
    const result = original.apply(this, args);
    if (after === null) return result;
    if (result instanceof Promise)
      return result.then((value) => {
        mark(after);
        return value;
      });
    mark(after);
    return result;
  };
};
// The binding's own methods are read-only: the model run is bracketed instead by an immediate queued
// before the one onnxruntime-node's handler queues (it runs just before the model) and the run's
// promise settling (the model, then the output tensor's wrapper).
type Run = (this: unknown, ...args: unknown[]) => Promise<unknown>;
const sessionClass = ort.InferenceSession as unknown as { prototype: { run: Run } };
const run = sessionClass.prototype.run;
sessionClass.prototype.run = function (this: unknown, ...args: unknown[]) {
  mark("runStart");
  setImmediate(() => mark("nativeStart"));
  return run.apply(this, args).then((value) => {
    mark("nativeEnd");
    return value;
  });
};
wrap(usearch.Index.prototype, "search", "searchStart", "searchEnd");

const { cache, stage, entries, text } = await seedSemanticCache();
wrap(cache.embedder, "embed", "embedStart", "embedEnd");
// The stage's first get is the exact lookup, a second one the neighbour's answer.
const get = cache.get.bind(cache);
cache.get = (key) => {
  const fetch = marks.exactEnd !== undefined;
  mark(fetch ? "getStart" : "exactStart");
  return get(key).then((found) => {
    mark(fetch ? "getEnd" : "exactEnd");
    return found;
  });
};

const gcs: Array<{ start: number; duration: number }> = [];
const { PerformanceObserver } = await import("node:perf_hooks");
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, duration: e.duration });
});
observer.observe({ entryTypes: ["gc"] });

const spans = [
  ["policy+key", "start", "exactStart"],
  ["exact lookup", "exactStart", "exactEnd"],
  ["query+text sha", "exactEnd", "embedStart"],
  ["tokenize+tensors", "embedStart", "runStart"],
  ["run checks+hop", "runStart", "nativeStart"],
  ["model (native)", "nativeStart", "nativeEnd"],
  ["output+unit", "nativeEnd", "embedEnd"],
  ["partition+hops", "embedEnd", "searchStart"],
  ["search", "searchStart", "searchEnd"],
  ["fetch", "getStart", "getEnd"],
  ["reply", "searchEnd", "end"],
] as const;
const rows: Array<{ total: number; spans: number[]; start: number }> = [];
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadBefore = load();
const cpu = process.cpuUsage();
let hits = 0;
for (let i = 0; i < lookups; i++) {
  const sentence = text(i);
  for (const name in marks) delete marks[name];
  const r = await stage.lookup(sentence);
  if (r.status === "SEMANTIC HIT") hits += 1;
  marks.start = r.started;
  marks.end = r.ended;
  const m = marks;
  const row = {
    start: r.started,
    total: r.ended - r.started,
    // A span whose marks were not reached (no fetch on a miss) is 0.
    spans: spans.map(([, from, to]) => (m[to] === undefined || m[from] === undefined ? 0 : m[to] - m[from])),
  };
  // "fetch" sits inside "reply": taken out of it so the spans add up.
  row.spans[10]! -= row.spans[9]!;
  rows.push(row);
}
const used = process.cpuUsage(cpu);
observer.disconnect();
await cache.close();

const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? Number.NaN;
const totals = rows.map((r) => r.total);
const p99 = q(totals, 0.99);
const tail = rows.filter((r) => r.total >= p99);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const inWindow = (r: { start: number; total: number }) =>
  gcs.filter((g) => g.start >= r.start && g.start < r.start + r.total);
console.log(
  `semantic lookup spans (${lookups} over ${entries} entries, ${hits} hits): total p50 ${q(totals, 0.5).toFixed(3)} ms, ` +
    `p99 ${p99.toFixed(3)} ms; process CPU ${((used.user + used.system) / lookups).toFixed(0)} µs per lookup; load ${loadBefore} → ${load()}`,
);
console.log(
  `${"span".padEnd(18)} ${"p50 µs".padStart(8)} ${"p99 µs".padStart(8)} ${"mean µs".padStart(8)} ${"tail mean µs".padStart(13)}`,
);
spans.forEach(([name], j) => {
  const xs = rows.map((r) => r.spans[j]! * 1000);
  const tailXs = tail.map((r) => r.spans[j]! * 1000);
  console.log(
    `${name.padEnd(18)} ${q(xs, 0.5).toFixed(1).padStart(8)} ${q(xs, 0.99).toFixed(1).padStart(8)} ${mean(xs).toFixed(1).padStart(8)} ${mean(tailXs).toFixed(1).padStart(13)}`,
  );
});
const gcInLookups = rows.flatMap(inWindow);
console.log(
  `GC: ${gcs.length} pauses in the window (${gcs.reduce((a, g) => a + g.duration, 0).toFixed(1)} ms), ` +
    `${gcInLookups.length} inside a lookup; tail lookups with a GC: ${tail.filter((r) => inWindow(r).length > 0).length}/${tail.length}`,
);
