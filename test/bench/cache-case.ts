import { fileURLToPath } from "node:url";
import { DEFAULT_CACHE_SETTINGS, ResponseCache } from "@switchyard/gateway/testing";
import { createLogger } from "@switchyard/platform";
import { cpuMeter } from "./cpu.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { startGateway, startUpstream, stopChild } from "./processes.ts";

/**
 * The response cache's case of `npm run bench`. Through a running gateway at 1 connection: a plain
 * request (no cache config), a simple-cache hit, and a forced refresh (upstream called, answer stored:
 * a miss's work), each with the gateway's CPU per request; the hit's added latency is p50(hit) −
 * p50(plain). Then, in this process, a semantic lookup as the cache stage does it (embed the one
 * sentence with the shipped MiniLM model, nearest neighbour among 2,000 stored vectors, fetch the
 * answer): p50/p99. Prints figures; asserts nothing.
 */
export interface CacheCaseResult {
  plain: Measured;
  hit: Measured;
  refresh: Measured;
  semantic: {
    lookups: number;
    p50Ms: number;
    p99Ms: number;
    /** The nearest-neighbour search and answer fetch alone (no embedding). */
    searchP50Ms: number;
    searchP99Ms: number;
    /** This process' CPU time per lookup (user + system): what contention cannot inflate. */
    cpuMicrosPerLookup: number;
    entries: number;
  };
  /** Semantic entries stored on one replica until the other's index has them, through Redis (null: no Redis). */
  feed: { samples: number; p50Ms: number; p99Ms: number } | null;
}

interface Measured {
  result: LoadResult;
  gatewayCpuPerRequest: number | null;
}

const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] });

export async function measureCache(options: {
  gatewayUrl: string;
  gatewayPid: number | undefined;
  upstreamBaseUrl: string;
  durationSec: number;
  warmupSec: number;
}): Promise<CacheCaseResult> {
  const target = (cache: object | null, extra: Record<string, string> = {}) => ({
    url: options.gatewayUrl,
    headers: {
      "content-type": "application/json",
      "x-portkey-config": JSON.stringify({
        provider: "openai",
        api_key: "sk-bench-cache",
        custom_host: options.upstreamBaseUrl,
        ...(cache ? { cache } : {}),
      }),
      ...extra,
    },
  });
  const measure = async (t: ReturnType<typeof target>): Promise<Measured> => {
    const meter = cpuMeter({ gateway: options.gatewayPid });
    const result = await runLoad({ ...t, body, connections: 1, durationSec: options.durationSec });
    const cpu = meter.stop().gateway;
    return { result, gatewayCpuPerRequest: cpu == null || result.requests === 0 ? null : cpu / result.requests };
  };
  const simple = { mode: "simple" };
  const cases = [target(null), target(simple), target(simple, { "x-portkey-cache-force-refresh": "true" })] as const;
  // Every path warmed before any is measured, so the first measured case is not the one still settling.
  for (const t of cases) await runLoad({ ...t, body, connections: 1, durationSec: options.warmupSec });
  const plain = await measure(cases[0]);
  const hit = await measure(cases[1]);
  const refresh = await measure(cases[2]);
  return { plain, hit, refresh, semantic: await measureSemanticLookup(500), feed: await measureFeed(100) };
}

/** Embedding + nearest neighbour + answer fetch, one sentence at a time, against 2,000 entries in one partition. */
async function measureSemanticLookup(lookups: number): Promise<CacheCaseResult["semantic"]> {
  const cache = new ResponseCache(DEFAULT_CACHE_SETTINGS, { logger: createLogger({ name: "bench", level: "silent" }) });
  const subjects = [
    "capital",
    "population",
    "currency",
    "largest city",
    "national dish",
    "official language",
    "flag colours",
    "highest mountain",
  ];
  const places = [
    "France",
    "Germany",
    "Italy",
    "Spain",
    "Japan",
    "Brazil",
    "Canada",
    "Kenya",
    "India",
    "Peru",
    "Norway",
    "Egypt",
    "Chile",
    "Vietnam",
    "Poland",
    "Greece",
    "Mexico",
    "Ghana",
    "Nepal",
    "Cuba",
    "Iran",
    "Fiji",
    "Laos",
    "Oman",
    "Chad",
  ];
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
  let n = 0;
  for (const subject of subjects)
    for (const place of places)
      for (const form of [
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
      ]) {
        const vector = await cache.embedder.embed(form);
        if (vector) await cache.put(`k${n++}`, answer, 3600, { partition: "bench", vector });
      }
  const times: number[] = [];
  const searches: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < lookups; i++) {
    const text = `Could you tell me the ${subjects[i % subjects.length]} of ${places[(i * 7) % places.length]} (${i})?`;
    const started = performance.now();
    const vector = await cache.embedder.embed(text);
    const embedded = performance.now();
    if (vector) await cache.nearest("bench", vector, DEFAULT_CACHE_SETTINGS.similarityThreshold);
    const ended = performance.now();
    times.push(ended - started);
    searches.push(ended - embedded);
  }
  const used = process.cpuUsage(cpu);
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
    entries: n,
  };
}

/** Two caches on the Redis at BENCH_REDIS_URL (default the local one): store on one, time until the other's index has it. */
async function measureFeed(samples: number): Promise<CacheCaseResult["feed"]> {
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

export function printCache(r: CacheCaseResult): void {
  const fmt = (n: number | null, digits = 3) => (n === null ? "n/a" : n.toFixed(digits));
  console.log("\nresponse cache at 1 connection (gateway CPU per request over the measured window)");
  console.log("case                     req/s    p50 ms   p99 ms   non-2xx   CPU µs/req (gateway)");
  for (const [name, m] of [
    ["plain (no cache)", r.plain],
    ["simple-cache HIT", r.hit],
    ["force refresh (miss)", r.refresh],
  ] as const) {
    console.log(
      `${name.padEnd(22)} ${fmt(m.result.requestsPerSec, 0).padStart(7)}  ${fmt(m.result.p50Ms).padStart(7)}  ${fmt(m.result.p99Ms).padStart(7)}  ${String(m.result.non2xx).padStart(7)}   ${fmt(m.gatewayCpuPerRequest, 1).padStart(8)}`,
    );
  }
  console.log(
    `simple-cache hit: added p50 latency vs a plain request ${fmt(r.hit.result.p50Ms - r.plain.result.p50Ms)} ms; ` +
      `CPU/request hit ${fmt(r.hit.gatewayCpuPerRequest, 1)} µs vs miss ${fmt(r.refresh.gatewayCpuPerRequest, 1)} µs vs plain ${fmt(r.plain.gatewayCpuPerRequest, 1)} µs`,
  );
  console.log(
    `semantic lookup (embed + ANN over ${r.semantic.entries} entries + fetch, ${r.semantic.lookups} one-sentence prompts): ` +
      `p50 ${fmt(r.semantic.p50Ms)} ms, p99 ${fmt(r.semantic.p99Ms)} ms (target p99 ≤ 2 ms); ` +
      `search + fetch alone p50 ${fmt(r.semantic.searchP50Ms)} ms, p99 ${fmt(r.semantic.searchP99Ms)} ms; ` +
      `CPU ${fmt(r.semantic.cpuMicrosPerLookup, 0)} µs per lookup`,
  );
  console.log(
    r.feed === null
      ? "semantic feed between two replicas: n/a (no Redis at BENCH_REDIS_URL / 127.0.0.1:6379)"
      : `semantic feed between two replicas through Redis (${r.feed.samples} entries): store → other replica's index p50 ${fmt(r.feed.p50Ms)} ms, p99 ${fmt(r.feed.p99Ms)} ms (target ≤ 1 s)`,
  );
}

// `node test/bench/cache-case.ts`: this case alone (its own upstream and gateway), for a quick look.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL("../..", import.meta.url).pathname;
  const upstream = await startUpstream(root);
  const gateway = await startGateway(root, {});
  try {
    const durationSec = Number(process.env.BENCH_DURATION_SEC ?? 5);
    const warmupSec = Number(process.env.BENCH_WARMUP_SEC ?? 2);
    printCache(
      await measureCache({
        gatewayUrl: gateway.url,
        gatewayPid: gateway.child.pid,
        upstreamBaseUrl: upstream.baseUrl,
        durationSec,
        warmupSec,
      }),
    );
  } finally {
    await gateway.stop();
    await stopChild(upstream.child);
  }
}
