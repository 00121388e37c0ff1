import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoadResult, runLoad } from "./load.ts";
import { freePort, startNode, stopChild } from "./processes.ts";

/**
 * `npm run bench`: the fake upstream called directly vs through the gateway (events on, published
 * to the embedded durable log), at 1 and 32 connections, measured in the same run because these
 * machines are shared and noisy. Then the cost of routing at 32 connections: a fallback config
 * (2 targets, the first healthy) and a loadbalance config (2 targets) in `x-portkey-config`,
 * each against a single-target config, measured before and after them to even out drift.
 * Prints figures; asserts nothing.
 */
const DURATION_SEC = Number(process.env.BENCH_DURATION_SEC ?? 10);
const root = new URL("../..", import.meta.url).pathname;
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] });

const upstream = await startNode(join(root, "test/bench/upstream-server.ts"), {}, (l) => l.startsWith("{"));
const { baseUrl } = JSON.parse(upstream.line) as { baseUrl: string };
const dataDir = mkdtempSync(join(tmpdir(), "sy-bench-data-"));
const gatewayPort = await freePort();
const gateway = await startNode(
  join(root, "gateway/src/main.ts"),
  { GATEWAY_PORT: String(gatewayPort), DATA_DIR: dataDir, LOG_LEVEL: "info" },
  (l) => l.includes("gateway listening"),
);

const direct = { url: `${baseUrl}/chat/completions`, headers: { "content-type": "application/json" } };
const viaGateway = {
  url: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`,
  headers: {
    "content-type": "application/json",
    authorization: "Bearer sk-bench-not-a-real-key",
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": baseUrl,
  },
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

async function measure(target: typeof direct, connections: number): Promise<LoadResult> {
  // A short warm-up fills connection pools and lets the JIT settle before the measured run.
  await runLoad({ ...target, body, connections, durationSec: 2 });
  return runLoad({ ...target, body, connections, durationSec: DURATION_SEC });
}

const rows: Array<{ case: string; result: LoadResult }> = [];
const checks: string[] = [];
try {
  for (const connections of [1, 32]) {
    rows.push({ case: `direct  c=${connections}`, result: await measure(direct, connections) });
    rows.push({ case: `gateway c=${connections}`, result: await measure(viaGateway, connections) });
  }
  for (const [name, target] of Object.entries(routing)) checks.push(await preflight(name, target));
  rows.push({ case: "single   c=32", result: await measure(routing.single, 32) });
  rows.push({ case: "fallback c=32", result: await measure(routing.fallback, 32) });
  rows.push({ case: "loadbal  c=32", result: await measure(routing.loadbalance, 32) });
  rows.push({ case: "single   c=32 #2", result: await measure(routing.single, 32) });
} finally {
  await stopChild(gateway.child);
  await stopChild(upstream.child);
  rmSync(dataDir, { recursive: true, force: true });
}

const fmt = (n: number, digits = 3) => n.toFixed(digits);
console.log(`\nSwitchyard gateway benchmark (${rows[0]?.result.tool}, ${DURATION_SEC}s per case, events on)`);
console.log("case               req/s      p50 ms   p99 ms   non-2xx");
for (const { case: name, result } of rows) {
  console.log(
    `${name.padEnd(18)} ${fmt(result.requestsPerSec, 0).padStart(8)}  ${fmt(result.p50Ms).padStart(7)}  ${fmt(result.p99Ms).padStart(7)}  ${result.non2xx}`,
  );
}
const find = (name: string) => rows.find((r) => r.case === name)?.result;
const d1 = find("direct  c=1");
const g1 = find("gateway c=1");
const g32 = find("gateway c=32");
if (d1 && g1 && g32) {
  console.log(`\nadded p50 latency at 1 connection: ${fmt(g1.p50Ms - d1.p50Ms)} ms (target ≤ 0.5 ms)`);
  console.log(`gateway throughput at 32 connections: ${fmt(g32.requestsPerSec, 0)} req/s (target ≥ 5000)`);
}

console.log("\nrouting preflight (20 requests each: count× status last-used-option-index)");
for (const line of checks) console.log(`  ${line}`);
const single = [find("single   c=32"), find("single   c=32 #2")].filter((r) => r !== undefined);
const fallback = find("fallback c=32");
const loadbalance = find("loadbal  c=32");
if (single.length === 2 && fallback && loadbalance && g32) {
  const baseline = single.reduce((sum, r) => sum + r.requestsPerSec, 0) / single.length;
  const cost = (r: LoadResult, base: number) => `${fmt((1 - r.requestsPerSec / base) * 100, 1)}%`;
  const broken = [...single, fallback, loadbalance].some((r) => r.non2xx > 0 || !(r.requestsPerSec > 0));
  console.log(
    `\nrouting cost at 32 connections vs a single-target config (mean of 2 runs, ${fmt(baseline, 0)} req/s):` +
      ` fallback ${cost(fallback, baseline)}, loadbalance ${cost(loadbalance, baseline)} (target ≤ 10%)`,
  );
  console.log(
    `routing cost vs a single target by headers (${fmt(g32.requestsPerSec, 0)} req/s):` +
      ` fallback ${cost(fallback, g32.requestsPerSec)}, loadbalance ${cost(loadbalance, g32.requestsPerSec)}`,
  );
  if (broken) console.log("WARNING: failed or no responses in the routing cases: these figures do not measure routing");
}
