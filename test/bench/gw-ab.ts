import { cpuMeter } from "./cpu.ts";
import { type LoadResult, runLoad } from "./load.ts";
import {
  type BenchGateway,
  benchCpuSets,
  checkoutArm,
  startGateway,
  startUpstream,
  stopChild,
  viaGatewayHeaders,
} from "./processes.ts";

/**
 * `node test/bench/gw-ab.ts <other checkout>[,ENV=value…]`: this checkout's gateway and another's under
 * load at the same time, pinned to the same CPU, each driven by its own wrk (16 connections each, the
 * bench's single-target request, events on, tracing off), and each billed its own CPU per request over
 * the same window. bench:compare runs the arms one after the other, so a neighbour's burst lands on one
 * arm only (two runs of the same commit differed by 15% there on a busy box); here both arms share every
 * burst, and the per-round ratio B/A is what is compared. The warm-up is long on purpose: a fresh
 * gateway is still compiling for its first ~30 s of load (gw-warmup.ts), and the two arms share one CPU.
 * Knobs: BENCH_DURATION_SEC (per round, 5), BENCH_COMPARE_ROUNDS (12), BENCH_WARMUP_SEC (60),
 * BENCH_CONNECTIONS (per arm, 16).
 */
const here = new URL("../..", import.meta.url).pathname;
const otherArg = process.argv[2] ?? "";
if (!otherArg) throw new Error("usage: node test/bench/gw-ab.ts <other checkout>[,ENV=value…]");
const other = otherArg.split(",")[0]!;
const { root: otherRoot, env: otherEnv } = checkoutArm(otherArg);
const DURATION_SEC = Number(process.env.BENCH_DURATION_SEC ?? 5);
const ROUNDS = Number(process.env.BENCH_COMPARE_ROUNDS ?? 12);
const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SEC ?? 60);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] });
const cpus = benchCpuSets();
const tracingOff = { OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_TRACES_EXPORTER: "none" };

const upstream = await startUpstream(here, cpus?.rest);
const gateways: BenchGateway[] = [];
const headers = viaGatewayHeaders(upstream.baseUrl);
const load = (g: BenchGateway, durationSec: number) =>
  runLoad({ url: g.url, headers, body, connections: CONNECTIONS, durationSec, cpus: cpus?.rest });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const rows: Array<{ a: number; b: number; aRps: number; bRps: number }> = [];
try {
  gateways.push(await startGateway(here, tracingOff, { cpus: cpus?.gateway }));
  gateways.push(await startGateway(otherRoot, { ...tracingOff, ...otherEnv }, { cpus: cpus?.gateway }));
  const [a, b] = gateways as [BenchGateway, BenchGateway];
  await Promise.all([load(a, WARMUP_SEC), load(b, WARMUP_SEC)]);
  for (let round = 0; round < ROUNDS; round++) {
    const meter = cpuMeter({ a: a.child.pid, b: b.child.pid });
    const [ra, rb]: LoadResult[] = await Promise.all([load(a, DURATION_SEC), load(b, DURATION_SEC)]);
    const used = meter.stop();
    const row = {
      a: used.a! / ra!.requests,
      b: used.b! / rb!.requests,
      aRps: ra!.requestsPerSec,
      bRps: rb!.requestsPerSec,
    };
    rows.push(row);
    console.log(
      `round ${round + 1}: this ${row.a.toFixed(1)} µs/req (${row.aRps.toFixed(0)} req/s), other ${row.b.toFixed(1)} µs/req (${row.bRps.toFixed(0)} req/s), other/this ${(row.b / row.a).toFixed(3)}`,
    );
  }
  const ratios = rows.map((r) => r.b / r.a);
  console.log(
    `\ngateway CPU µs/req, ${ROUNDS} rounds of ${DURATION_SEC}s, both arms at once on CPU ${cpus?.gateway ?? "(unpinned)"}, ${CONNECTIONS} connections each`,
  );
  console.log(`this checkout   median ${median(rows.map((r) => r.a)).toFixed(1)}`);
  console.log(`${other.padEnd(15)} median ${median(rows.map((r) => r.b)).toFixed(1)}`);
  console.log(
    `other/this: median ${median(ratios).toFixed(3)}, min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)}; paired median difference ${median(rows.map((r) => r.b - r.a)).toFixed(1)} µs`,
  );
} finally {
  for (const g of gateways) await g.stop();
  await stopChild(upstream.child);
}
