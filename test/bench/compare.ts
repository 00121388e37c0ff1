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
 * `npm run bench:compare -- <other checkout>[,ENV=value…] […]`: the gateway of this checkout against
 * the gateway of other checkouts (e.g. `git worktree add ../before <commit>` with node_modules), under
 * the bench's single-target load at 32 connections, events on, tracing off. On a busy shared box two
 * separate bench runs are not comparable; here every gateway runs at once, pinned to the same CPU
 * (benchCpuSets), in rotated rounds, and each is billed its own CPU per request, so the difference
 * between them is measured within each round. Knobs: BENCH_DURATION_SEC (per round, default 8),
 * BENCH_COMPARE_ROUNDS (default 6), BENCH_WARMUP_SEC (per gateway, default 12). A checkout may carry
 * env for its gateway after commas (`. ,EVENT_LINGER_MS=25` runs this checkout again with that setting).
 */
const here = new URL("../..", import.meta.url).pathname;
/** Each argument: a checkout path, then optional `,NAME=value` settings for that gateway. */
const arms = [here, ...process.argv.slice(2)].map((arg) => ({
  ...checkoutArm(arg),
  label: arg === here ? "this checkout" : arg,
}));
const roots = arms.map((a) => a.root);
if (roots.length < 2) throw new Error("usage: npm run bench:compare -- <other checkout> [...]");
const DURATION_SEC = Number(process.env.BENCH_DURATION_SEC ?? 8);
const ROUNDS = Number(process.env.BENCH_COMPARE_ROUNDS ?? 6);
const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SEC ?? 12);
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] });
const cpus = benchCpuSets();

const upstream = await startUpstream(here, cpus?.rest);
const gateways: BenchGateway[] = [];
const results = roots.map(() => ({ loads: [] as LoadResult[], cpu: [] as number[] }));
const headers = viaGatewayHeaders(upstream.baseUrl);
const load = (url: string, durationSec: number) =>
  runLoad({ url, headers, body, connections: 32, durationSec, cpus: cpus?.rest });

try {
  for (const { root, env } of arms) {
    const tracingOff = { OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_TRACES_EXPORTER: "none" };
    gateways.push(await startGateway(root, { ...tracingOff, ...env }, { cpus: cpus?.gateway }));
  }
  for (let part = 0; part < 3; part++) for (const g of gateways) await load(g.url, WARMUP_SEC / 3);
  for (let round = 0; round < ROUNDS; round++) {
    const order = gateways.map((_, i) => (round + i) % gateways.length);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const meter = cpuMeter({ gateway: gateways[i]!.child.pid });
      const r = await load(gateways[i]!.url, DURATION_SEC);
      const micros = meter.stop().gateway;
      results[i]!.loads.push(r);
      results[i]!.cpu.push(micros === null || micros === undefined ? Number.NaN : micros / r.requests);
    }
  }
} finally {
  for (const g of gateways) await g.stop();
  await stopChild(upstream.child);
}

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const f = (n: number) => n.toFixed(1);
console.log(
  `\ngateway CPU per request, ${ROUNDS} rotated rounds of ${DURATION_SEC}s at 32 connections, events on, tracing off` +
    (cpus ? ` (gateways on CPU ${cpus.gateway}; load and upstream on ${cpus.rest})` : ""),
);
console.log(
  "checkout                                   req/s (mean)   CPU µs/req (median)   vs first (paired median)   rounds",
);
const first = results[0]!;
results.forEach((r, i) => {
  const mean = r.loads.reduce((t, x) => t + x.requestsPerSec, 0) / Math.max(1, r.loads.length);
  const paired =
    i === 0
      ? ""
      : `${median(r.cpu.map((c, k) => c - first.cpu[k]!)) >= 0 ? "+" : ""}${f(median(r.cpu.map((c, k) => c - first.cpu[k]!)))}`;
  const non2xx = r.loads.reduce((t, x) => t + x.non2xx, 0);
  console.log(
    `${arms[i]!.label.slice(-42).padEnd(42)} ${mean.toFixed(0).padStart(12)}   ${f(median(r.cpu)).padStart(19)}   ${paired.padStart(24)}   ${r.cpu.map(f).join(", ")}${non2xx ? `  (${non2xx} non-2xx!)` : ""}`,
  );
});
