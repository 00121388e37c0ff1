import { readFileSync } from "node:fs";
import { DEFAULT_CACHE_SETTINGS, ResponseCache } from "@switchyard/gateway/testing";
import { createLogger } from "@switchyard/platform";
import { type StageLookup, stageLookup } from "./cache-stage-lookup.ts";

/**
 * The semantic half of the response cache's bench case (cache-case.ts): a semantic lookup as the
 * cache stage does it, and the semantic feed between two replicas through Redis.
 */
/** Subjects and places of the bench's questions (the semantic case takes the first 8 and 25). */
export const PROMPT_SUBJECTS: readonly string[] = [
  "capital",
  "population",
  "currency",
  "largest city",
  "national dish",
  "official language",
  "flag colours",
  "highest mountain",
  "longest river",
  "president",
  "national anthem",
  "main export",
  "climate",
  "time zone",
  "area",
  "national sport",
];
export const PROMPT_PLACES: readonly string[] = (
  "France Germany Italy Spain Japan Brazil Canada Kenya India Peru Norway Egypt Chile Vietnam Poland Greece " +
  "Mexico Ghana Nepal Cuba Iran Fiji Laos Oman Chad Sweden Finland Denmark Austria Belgium Portugal Ireland " +
  "Iceland Turkey Israel Jordan Syria Iraq Qatar Yemen Sudan Libya Tunisia Morocco Algeria Nigeria Senegal Mali " +
  "Niger Angola Zambia Uganda Rwanda Somalia Bolivia Ecuador Colombia Uruguay Paraguay Panama"
).split(" ");

/** Ten phrasings of one question (a subject of a place): the stored entries the semantic cases search among. */
export function promptForms(subject: string, place: string): string[] {
  return [
    `What is the ${subject} of ${place}?`,
    `Tell me the ${subject} of ${place}`,
    `${place}: ${subject}?`,
    `Which is ${place}'s ${subject}?`,
    `I'd like to know the ${subject} of ${place}`,
    `What's ${place}'s ${subject} these days?`,
    `Name the ${subject} of ${place}`,
    `Do you know the ${subject} of ${place}?`,
    `Give me ${place}'s ${subject}`,
    `${subject} of ${place}, please`,
  ];
}

export interface SemanticLookupResult {
  lookups: number;
  p50Ms: number;
  p99Ms: number;
  /** The nearest-neighbour search and answer fetch alone (no embedding). */
  searchP50Ms: number;
  searchP99Ms: number;
  /** This process' CPU time per lookup (user + system): what contention inflates least. */
  cpuMicrosPerLookup: number;
  /**
   * The main thread's CPU time per lookup (where onnxruntime runs it), over the whole loop: time spent
   * preempted is not in it. Read once around the loop, not per lookup: the per-thread clock advances in
   * scheduler ticks (4 ms) on some kernels, so a per-lookup reading is 0 or 4 ms.
   */
  mainThreadCpuMsPerLookup: number;
  entries: number;
  /** Lookups by cache status (SEMANTIC HIT, SEMANTIC MISS). */
  statuses: Record<string, number>;
  /** The 1/5/15-minute load averages when the lookups started and ended (p99 follows the neighbours). */
  loadBefore: string;
  loadAfter: string;
}

const loadAverage = () => {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "n/a";
  }
};

export interface FeedResult {
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

/** A cache holding 2,000 entries in partition "bench" (8 subjects × 25 places × 10 phrasings), and the bench's lookup text. */
export async function seedSemanticCache(): Promise<{
  cache: ResponseCache;
  stage: StageLookup;
  entries: number;
  text: (i: number) => string;
}> {
  const cache = new ResponseCache(DEFAULT_CACHE_SETTINGS, { logger: createLogger({ name: "bench", level: "silent" }) });
  // 8 subjects × 25 places × 10 phrasings = 2,000 entries.
  const subjects = PROMPT_SUBJECTS.slice(0, 8);
  const places = PROMPT_PLACES.slice(0, 25);
  const stage = stageLookup(cache);
  let n = 0;
  for (const subject of subjects)
    for (const place of places)
      for (const form of promptForms(subject, place)) {
        if ((await stage.store(form)) === "REFRESH") n += 1;
      }
  const text = (i: number) =>
    `Could you tell me the ${subjects[i % subjects.length]} of ${places[(i * 7) % places.length]} (${i})?`;
  return { cache, stage, entries: n, text };
}

/**
 * One-sentence lookups through the cache stage (cache-stage-lookup.ts: key, exact lookup, embedding,
 * nearest neighbour, answer fetch), one at a time, against 2,000 entries in one partition.
 */
export async function measureSemanticLookup(lookups: number): Promise<SemanticLookupResult> {
  const { cache, stage, entries, text } = await seedSemanticCache();
  const times: number[] = [];
  const searches: number[] = [];
  const statuses: Record<string, number> = {};
  const loadBefore = loadAverage();
  const cpu = process.cpuUsage();
  const mainThreadCpu = process.threadCpuUsage();
  for (let i = 0; i < lookups; i++) {
    const r = await stage.lookup(text(i));
    times.push(r.ended - r.started);
    searches.push(r.searchStarted === null ? 0 : r.ended - r.searchStarted);
    statuses[r.status ?? "none"] = (statuses[r.status ?? "none"] ?? 0) + 1;
  }
  const used = process.cpuUsage(cpu);
  const mainUsed = process.threadCpuUsage(mainThreadCpu);
  const loadAfter = loadAverage();
  await cache.close();
  const q = (xs: number[], p: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? Number.NaN;
  return {
    lookups,
    p50Ms: q(times, 0.5),
    p99Ms: q(times, 0.99),
    searchP50Ms: q(searches, 0.5),
    searchP99Ms: q(searches, 0.99),
    cpuMicrosPerLookup: (used.user + used.system) / lookups,
    mainThreadCpuMsPerLookup: (mainUsed.user + mainUsed.system) / 1000 / lookups,
    entries,
    statuses,
    loadBefore,
    loadAfter,
  };
}

/** Two caches on the Redis at BENCH_REDIS_URL (default the local one): store on one, time until the other's index has it. */
export async function measureFeed(samples: number): Promise<FeedResult | null> {
  const url = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
  const redis = {
    url,
    prefix: `switchyard:bench:${process.pid}:${Date.now()}:`,
    commandTimeoutMs: 500,
    feedMaxLen: 1000,
  };
  const logger = createLogger({ name: "bench", level: "silent" });
  const one = new ResponseCache({ ...DEFAULT_CACHE_SETTINGS, redis }, { logger });
  const two = new ResponseCache({ ...DEFAULT_CACHE_SETTINGS, redis }, { logger });
  const answer = {
    v: 1 as const,
    format: "chat" as const,
    body: "{}",
    model: "m",
    responseId: null,
    finishReasons: null,
    usage: null,
    costNanoUsd: 0,
    storedAt: Date.now(),
  };
  const vector = () => {
    const v = Float32Array.from({ length: 384 }, () => Math.random() - 0.5);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  const seen = async (count: number) => {
    const deadline = performance.now() + 5_000;
    while (two.semanticEntries() < count) {
      if (performance.now() > deadline) return false;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return true;
  };
  const times: number[] = [];
  try {
    // The first entry also loads the index on both sides; it is not timed.
    await one.put("warm", answer, 60, { partition: "feed", vector: vector() });
    if (!(await seen(1))) return null;
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      await one.put(`k${i}`, answer, 60, { partition: "feed", vector: vector() });
      if (!(await seen(i + 2))) return null;
      times.push(performance.now() - started);
    }
  } finally {
    await one.close();
    await two.close();
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? Number.NaN;
  return { samples, p50Ms: q(0.5), p99Ms: q(0.99) };
}
