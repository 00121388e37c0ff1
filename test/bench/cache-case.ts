import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import {
  type FeedResult,
  measureFeed,
  measureSemanticLookup,
  type SemanticLookupResult,
} from "./cache-semantic-case.ts";
import { cpuMeter } from "./cpu.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { startGateway, startUpstream, stopChild } from "./processes.ts";

/**
 * The response cache's case of `npm run bench`. Through a running gateway at 1 connection: a plain
 * request (no cache config), a simple-cache hit, and a forced refresh (upstream called, answer stored:
 * a miss's work), each with the gateway's CPU per request; the hit's added latency is p50(hit) −
 * p50(plain). Then, in this process, semantic lookups through the cache stage itself
 * (cache-stage-lookup.ts: key, exact lookup, embedding of the one sentence with the shipped MiniLM
 * model, partition, nearest neighbour among 2,000 stored vectors, the answer's fetch; no HTTP):
 * p50/p99. Prints figures; asserts nothing.
 */
export interface CacheCaseResult {
  plain: Measured;
  hit: Measured;
  refresh: Measured;
  semantic: SemanticLookupResult;
  /** Semantic entries stored on one replica until the other's index has them, through Redis (null: no Redis). */
  feed: FeedResult | null;
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
  const simple = { mode: "simple" };
  const cases = [target(null), target(simple), target(simple, { "x-portkey-cache-force-refresh": "true" })] as const;
  // Every path warmed before any is measured, so the first measured case is not the one still settling.
  for (const t of cases) await runLoad({ ...t, body, connections: 1, durationSec: options.warmupSec });
  // Interleaved rounds, order rotated each round, so drift on a shared box hits every case alike.
  const rounds = 5;
  const slice = Math.max(1, Math.round(options.durationSec / rounds));
  const runs: Array<Array<{ result: LoadResult; cpu: number | null }>> = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < cases.length; i++) {
      const c = (r + i) % cases.length;
      const meter = cpuMeter({ gateway: options.gatewayPid });
      const result = await runLoad({ ...cases[c]!, body, connections: 1, durationSec: slice });
      runs[c]!.push({ result, cpu: meter.stop().gateway ?? null });
    }
  }
  const [plain, hit, refresh] = runs.map(combined) as [Measured, Measured, Measured];
  return { plain, hit, refresh, semantic: await measureSemanticLookup(500), feed: await measureFeed(100) };
}

/** A case's rounds as one: requests and CPU summed, rates summed over time, latencies the median round's. */
function combined(rounds: Array<{ result: LoadResult; cpu: number | null }>): Measured {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const requests = rounds.reduce((n, r) => n + r.result.requests, 0);
  const cpu = rounds.every((r) => r.cpu !== null) ? rounds.reduce((n, r) => n + (r.cpu ?? 0), 0) : null;
  const first = rounds[0]!.result;
  return {
    result: {
      tool: first.tool,
      requests,
      requestsPerSec: rounds.reduce((n, r) => n + r.result.requestsPerSec, 0) / rounds.length,
      p50Ms: median(rounds.map((r) => r.result.p50Ms)),
      p99Ms: median(rounds.map((r) => r.result.p99Ms)),
      non2xx: rounds.reduce((n, r) => n + r.result.non2xx, 0),
    },
    gatewayCpuPerRequest: cpu === null || requests === 0 ? null : cpu / requests,
  };
}

export function printCache(r: CacheCaseResult): void {
  const fmt = (n: number | null, digits = 3) => (n === null ? "n/a" : n.toFixed(digits));
  console.log("\nresponse cache at 1 connection, 5 interleaved rounds per case (gateway CPU per request over them)");
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
    `semantic lookup through the cache stage (key + exact lookup + embed + ANN over ${r.semantic.entries} entries + fetch, ` +
      `${r.semantic.lookups} one-sentence prompts, ${r.semantic.statuses["SEMANTIC HIT"] ?? 0} hits): ` +
      `p50 ${fmt(r.semantic.p50Ms)} ms, p99 ${fmt(r.semantic.p99Ms)} ms (target p99 ≤ 2 ms); ` +
      `search + fetch alone p50 ${fmt(r.semantic.searchP50Ms)} ms, p99 ${fmt(r.semantic.searchP99Ms)} ms; ` +
      `main-thread CPU ${fmt(r.semantic.mainThreadCpuMsPerLookup)} ms per lookup; ` +
      `process CPU ${fmt(r.semantic.cpuMicrosPerLookup, 0)} µs per lookup; load average ${r.semantic.loadBefore} → ${r.semantic.loadAfter} ` +
      `(${availableParallelism()} cores: a load above that and p99 measures the neighbours)`,
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
