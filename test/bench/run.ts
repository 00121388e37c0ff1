import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoadResult, runLoad } from "./load.ts";
import { freePort, startNode, stopChild } from "./processes.ts";

/**
 * `npm run bench`: the fake upstream called directly vs through the gateway (events on, published
 * to the embedded durable log), at 1 and 32 connections, measured in the same run because these
 * machines are shared and noisy. Prints figures; asserts nothing.
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

async function measure(target: typeof direct, connections: number): Promise<LoadResult> {
  // A short warm-up fills connection pools and lets the JIT settle before the measured run.
  await runLoad({ ...target, body, connections, durationSec: 2 });
  return runLoad({ ...target, body, connections, durationSec: DURATION_SEC });
}

const rows: Array<{ case: string; result: LoadResult }> = [];
try {
  for (const connections of [1, 32]) {
    rows.push({ case: `direct  c=${connections}`, result: await measure(direct, connections) });
    rows.push({ case: `gateway c=${connections}`, result: await measure(viaGateway, connections) });
  }
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
