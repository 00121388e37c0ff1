import { type CacheCaseResult, measureCache, printCache } from "./cache-case.ts";
import { cpuMeter } from "./cpu.ts";
import { printCpu } from "./cpu-table.ts";
import { type GuardrailsCaseResult, measureGuardrails, printGuardrails } from "./guardrails-case.ts";
import { type LimitsCaseResult, measureLimits, printLimits } from "./limits-case.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { machineLine, startGateway, startUpstream, stopChild, viaGatewayHeaders } from "./processes.ts";
import { measureStack, type StackCaseResult } from "./stack-case.ts";
import { measureStreamTtft, printTtft, type TtftResult } from "./stream-ttft.ts";
import { measureTracingOverhead, printTracing, type TracingResult } from "./tracing-overhead.ts";

/**
 * `npm run bench`: the fake upstream called directly vs through the gateway (events on, published
 * to the embedded durable log), at 1 and 32 connections, measured in the same run because these
 * machines are shared and noisy. Then the cost of routing at 32 connections: a fallback config
 * (2 targets, the first healthy) and a loadbalance config (2 targets) in `x-portkey-config`,
 * each against a single target (by config, and by headers), measured in interleaved rounds
 * (order rotated each round) so drift from other load on the box hits every case alike; the
 * cost is the median of the per-round costs. Every direct and gateway case also reports the CPU time
 * per request of the process serving it (fake upstream, gateway), and the embedded stack (`npm start`'s
 * process: gateway + ingest + analytics) is measured the same way, ingest's share included (cpu.ts,
 * stack-case.ts). The response cache's case follows (cache-case.ts: a simple-cache hit against a plain
 * request and a miss, latency and gateway CPU per request; a semantic lookup's p50/p99). Prints figures; asserts nothing.
 */
const DURATION_SEC = Number(process.env.BENCH_DURATION_SEC ?? 10);
/** Load before each measured case (JIT, pools); the stack gets twice this, being started cold. */
const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SEC ?? 3);
/**
 * Load on a freshly started gateway (and stack) before its first measured case: V8 keeps compiling for ~30 s
 * under load (test/bench/gw-warmup.ts: CPU per request of a cold gateway fell 880 → 385-431 µs over eight 6 s
 * windows, its compiler threads 185 → 2-12), so a 3 s warm-up measured part of a one-time cost. The figures
 * are a running gateway's steady cost. BENCH_JIT_WARMUP_SEC=0 measures as before.
 */
const JIT_WARMUP_SEC = Number(process.env.BENCH_JIT_WARMUP_SEC ?? 30);
/** BENCH_QUICK=1: only the direct, gateway and stack cases (no routing, streaming or tracing). */
const QUICK = process.env.BENCH_QUICK === "1";
const root = new URL("../..", import.meta.url).pathname;
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] });

const upstream = await startUpstream(root);
const { baseUrl } = upstream;
const gateway = await startGateway(root, {});

const direct = { url: `${baseUrl}/chat/completions`, headers: { "content-type": "application/json" } };
const viaGateway = {
  url: gateway.url,
  headers: viaGatewayHeaders(baseUrl),
};

// Routing cases: the same upstream behind each target (so upstream capacity is equal across
// cases), with distinct keys so they are distinct targets. Only the config header differs.
const leaf = (key: string) => ({ provider: "openai", api_key: key, custom_host: baseUrl });
const withConfig = (config: object) => ({
  url: viaGateway.url,
  headers: { "content-type": "application/json", "x-portkey-config": JSON.stringify(config) },
});
const routing = {
  single: withConfig(leaf("sk-bench-a")),
  fallback: withConfig({ strategy: { mode: "fallback" }, targets: [leaf("sk-bench-a"), leaf("sk-bench-b")] }),
  loadbalance: withConfig({
    strategy: { mode: "loadbalance" },
    targets: [leaf("sk-bench-a"), leaf("sk-bench-b")].map((t) => ({ ...t, weight: 1 })),
  }),
};

/** A few requests per routing case before measuring: status and which target served, so a bench of a broken route is visible. */
async function preflight(name: string, target: typeof direct): Promise<string> {
  const seen = new Map<string, number>();
  for (let i = 0; i < 20; i++) {
    const res = await fetch(target.url, { method: "POST", headers: target.headers, body });
    await res.arrayBuffer();
    const key = `${res.status} ${res.headers.get("x-portkey-last-used-option-index") ?? "-"}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return `${name.padEnd(12)} ${[...seen].map(([k, n]) => `${n}× ${k}`).join(", ")}`;
}

interface Measured {
  result: LoadResult;
  /** µs of CPU per completed request of the process serving the case, and of the fake upstream. */
  serverCpuPerRequest: number | null;
  upstreamCpuPerRequest: number | null;
}

async function measure(target: typeof direct, connections: number, server: number | undefined): Promise<Measured> {
  // A short warm-up fills connection pools and lets the JIT settle before the measured run.
  await runLoad({ ...target, body, connections, durationSec: WARMUP_SEC });
  const meter = cpuMeter({ server, upstream: upstream.child.pid });
  const result = await runLoad({ ...target, body, connections, durationSec: DURATION_SEC });
  const cpu = meter.stop();
  const perRequest = (micros: number | null | undefined) =>
    micros === null || micros === undefined || !(result.requests > 0) ? null : micros / result.requests;
  return { result, serverCpuPerRequest: perRequest(cpu.server), upstreamCpuPerRequest: perRequest(cpu.upstream) };
}

const ROUTING_ROUNDS = 3;
const sliceSec = Math.max(2, Math.round(DURATION_SEC / ROUTING_ROUNDS));
const routingCases = [
  { key: "headers", label: "single target, headers", target: viaGateway },
  { key: "single", label: "single-target config", target: routing.single },
  { key: "fallback", label: "fallback config", target: routing.fallback },
  { key: "loadbalance", label: "loadbalance config", target: routing.loadbalance },
] as const;
type RoutingKey = (typeof routingCases)[number]["key"];

/** Every routing case once per round, each round starting one case later, all at 32 connections. */
async function measureRouting(): Promise<Array<Record<RoutingKey, LoadResult>>> {
  for (const c of routingCases) await runLoad({ ...c.target, body, connections: 32, durationSec: 2 });
  const rounds: Array<Record<RoutingKey, LoadResult>> = [];
  for (let r = 0; r < ROUTING_ROUNDS; r++) {
    const round: Partial<Record<RoutingKey, LoadResult>> = {};
    for (let i = 0; i < routingCases.length; i++) {
      const c = routingCases[(r + i) % routingCases.length]!;
      round[c.key] = await runLoad({ ...c.target, body, connections: 32, durationSec: sliceSec });
    }
    rounds.push(round as Record<RoutingKey, LoadResult>);
  }
  return rounds;
}

const rows: Array<{ case: string } & Measured> = [];
let stack: StackCaseResult | null = null;
const checks: string[] = [];
let routingRounds: Array<Record<RoutingKey, LoadResult>> = [];
let streamTtft: TtftResult | null = null;
let tracing: TracingResult | null = null;
let cache: CacheCaseResult | null = null;
let guardrails: GuardrailsCaseResult | null = null;
let limits: LimitsCaseResult | null = null;
try {
  if (JIT_WARMUP_SEC > 0) await runLoad({ ...viaGateway, body, connections: 32, durationSec: JIT_WARMUP_SEC });
  for (const connections of [1, 32]) {
    rows.push({ case: `direct  c=${connections}`, ...(await measure(direct, connections, upstream.child.pid)) });
    rows.push({ case: `gateway c=${connections}`, ...(await measure(viaGateway, connections, gateway.child.pid)) });
  }
  if (process.env.BENCH_STACK !== "0") {
    stack = await measureStack({
      root,
      body,
      upstream: { baseUrl, pid: upstream.child.pid },
      durationSec: DURATION_SEC,
      warmupSec: Math.max(2 * WARMUP_SEC, JIT_WARMUP_SEC),
    });
  }
  // Guardrails (guardrails-case.ts): the same config without hooks and with three cheap checks; in quick runs too.
  guardrails = await measureGuardrails({
    gatewayUrl: gateway.url,
    gatewayPid: gateway.child.pid,
    upstreamBaseUrl: baseUrl,
    durationSec: DURATION_SEC,
    warmupSec: WARMUP_SEC,
  });
  if (!QUICK) {
    for (const [name, target] of Object.entries(routing)) checks.push(await preflight(name, target));
    routingRounds = await measureRouting();
    streamTtft = await measureStreamTtft(direct, viaGateway, Number(process.env.BENCH_STREAM_SAMPLES ?? 2000));
    cache = await measureCache({
      gatewayUrl: gateway.url,
      gatewayPid: gateway.child.pid,
      upstreamBaseUrl: baseUrl,
      durationSec: DURATION_SEC,
      warmupSec: WARMUP_SEC,
    });
    // Budgets and rate limits: a limited key vs an unlimited one, embedded and with Redis (own gateways).
    limits = await measureLimits({ root, upstreamBaseUrl: baseUrl, durationSec: DURATION_SEC, warmupSec: WARMUP_SEC });
    // Tracing off vs on: its own upstream, receiver and two gateways, so the main gateway is stopped first.
    await stopChild(gateway.child);
    const rounds = Number(process.env.BENCH_TRACING_ROUNDS ?? 5);
    const warmupSec = Number(process.env.BENCH_TRACING_WARMUP_SEC ?? 18);
    tracing = await measureTracingOverhead({ root, body, durationSec: DURATION_SEC, rounds, warmupSec });
  }
} finally {
  await gateway.stop();
  await stopChild(upstream.child);
}

const fmt = (n: number, digits = 3) => n.toFixed(digits);
console.log(
  `\nSwitchyard gateway benchmark (${rows[0]?.result.tool}, ${DURATION_SEC}s per case, events on); ${machineLine()}`,
);
console.log("case               req/s      p50 ms   p99 ms   non-2xx   CPU µs/req (server)");
for (const { case: name, result, serverCpuPerRequest } of rows) {
  console.log(
    `${name.padEnd(18)} ${fmt(result.requestsPerSec, 0).padStart(8)}  ${fmt(result.p50Ms).padStart(7)}  ${fmt(result.p99Ms).padStart(7)}  ${String(result.non2xx).padStart(7)}   ${serverCpuPerRequest === null ? "n/a" : fmt(serverCpuPerRequest, 1).padStart(8)}`,
  );
}
const findRow = (name: string) => rows.find((r) => r.case === name);
const find = (name: string) => findRow(name)?.result;
const d1 = find("direct  c=1");
const g1 = find("gateway c=1");
const g32 = find("gateway c=32");
if (d1 && g1 && g32) {
  console.log(`\nadded p50 latency at 1 connection: ${fmt(g1.p50Ms - d1.p50Ms)} ms (target ≤ 0.5 ms)`);
  console.log(`gateway throughput at 32 connections: ${fmt(g32.requestsPerSec, 0)} req/s (target ≥ 5000)`);
}
printCpu({ durationSec: DURATION_SEC, direct: findRow("direct  c=32"), gateway: findRow("gateway c=32"), stack });

if (checks.length > 0) {
  console.log("\nrouting preflight (20 requests each: count× status last-used-option-index)");
  for (const line of checks) console.log(`  ${line}`);
}

if (routingRounds.length > 0) {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const pct = (n: number) => `${n >= 0 ? " " : ""}${fmt(n, 1)}%`;
  console.log(
    `\nrouting at 32 connections: ${ROUTING_ROUNDS} interleaved rounds of ${sliceSec}s per case (order rotated each round)`,
  );
  console.log("case                      req/s (mean)  per round                 p50 ms   p99 ms max  non-2xx");
  for (const c of routingCases) {
    const results = routingRounds.map((round) => round[c.key]);
    console.log(
      `${c.label.padEnd(25)} ${fmt(mean(results.map((r) => r.requestsPerSec)), 0).padStart(8)}      ` +
        `${results.map((r) => fmt(r.requestsPerSec, 0).padStart(6)).join(" ")}     ` +
        `${fmt(mean(results.map((r) => r.p50Ms))).padStart(7)}  ${fmt(Math.max(...results.map((r) => r.p99Ms))).padStart(7)}  ` +
        `${results.reduce((n, r) => n + r.non2xx, 0)}`,
    );
  }
  // Cost per round against that round's baseline, then the median: one disturbed slice cannot swing it.
  const costOf = (key: RoutingKey, base: RoutingKey) =>
    routingRounds.map((round) => (1 - round[key].requestsPerSec / round[base].requestsPerSec) * 100);
  for (const base of ["single", "headers"] as const) {
    const fb = costOf("fallback", base);
    const lb = costOf("loadbalance", base);
    console.log(
      `throughput cost vs ${base === "single" ? "a single-target config " : "a single target (headers)"}: ` +
        `fallback ${pct(median(fb))} (rounds ${fb.map((x) => fmt(x, 1)).join(", ")}), ` +
        `loadbalance ${pct(median(lb))} (rounds ${lb.map((x) => fmt(x, 1)).join(", ")})` +
        (base === "single" ? "  target ≤ 10%" : ""),
    );
  }
  const broken = routingRounds.some((round) =>
    Object.values(round).some((r) => r.non2xx > 0 || !(r.requestsPerSec > 0)),
  );
  if (broken) console.log("WARNING: failed or no responses in the routing cases: these figures do not measure routing");
}

if (streamTtft) printTtft(streamTtft);
if (tracing) printTracing(tracing);
if (cache) printCache(cache);
if (guardrails) printGuardrails(guardrails);
if (limits) printLimits(limits);
