import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectInspector } from "./inspector.ts";
import { runLoad } from "./load.ts";
import { freePort, startNode, startUpstream, stopChild, viaGatewayHeaders } from "./processes.ts";

/**
 * `node test/bench/gw-alloc.ts [checkout]`: bytes the gateway's JS allocates per request, by function,
 * under the bench's single-target load (32 connections, events on, tracing off). V8's sampling heap
 * profiler runs over the inspector for the measured window, keeping the samples of objects the GC
 * already collected, so the total is what was allocated, not what survived. Allocation is what the
 * young-generation GC and V8's helper threads pay for (15% of the gateway's CPU on the bench), and
 * unlike CPU time it does not move with the box's load. Knobs: BENCH_DURATION_SEC (5),
 * BENCH_ALLOC_INTERVAL (bytes between samples, 4096), BENCH_ALLOC_TOP (30 rows), BENCH_ALLOC_OUT (a path:
 * the sampling profile is written there as JSON, for attributing a function's bytes to its callers).
 */
interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  id: number;
  children: SamplingNode[];
}
interface SamplingProfile {
  head: SamplingNode;
  samples: Array<{ size: number; nodeId: number }>;
}
const root = process.argv[2] ?? new URL("../..", import.meta.url).pathname;
const DURATION_SEC = Number(process.env.BENCH_DURATION_SEC ?? 5);
const INTERVAL = Number(process.env.BENCH_ALLOC_INTERVAL ?? 4096);
const TOP = Number(process.env.BENCH_ALLOC_TOP ?? 30);
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] });
const upstream = await startUpstream(root);
const dataDir = mkdtempSync(join(tmpdir(), "sy-bench-alloc-"));
const [port, inspectPort] = [await freePort(), await freePort()];
const { child } = await startNode(
  join(root, "gateway/src/main.ts"),
  {
    GATEWAY_PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
    OTEL_EXPORTER_OTLP_ENDPOINT: "",
    OTEL_TRACES_EXPORTER: "none",
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --inspect=127.0.0.1:${inspectPort}`,
  },
  (l) => l.includes("gateway listening"),
  60_000,
);
const load = (durationSec: number) =>
  runLoad({
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: viaGatewayHeaders(upstream.baseUrl),
    body,
    connections: 32,
    durationSec,
  });
const shortUrl = (url: string) =>
  url.replace(/^file:\/\/.*?\/(node_modules\/)/, "").replace(/^file:\/\/.*?\/(gateway|platform|events)\/src\//, "$1/");
try {
  await load(8);
  const inspector = await connectInspector(inspectPort);
  await inspector.send("HeapProfiler.enable");
  await inspector.send("HeapProfiler.startSampling", {
    samplingInterval: INTERVAL,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const result = await load(DURATION_SEC);
  const { profile } = await inspector.send<{ profile: SamplingProfile }>("HeapProfiler.stopSampling");
  inspector.close();
  if (process.env.BENCH_ALLOC_OUT) writeFileSync(process.env.BENCH_ALLOC_OUT, JSON.stringify(profile));
  const bySelf = new Map<string, number>();
  let total = 0;
  const walk = (node: SamplingNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || "(anonymous)"}  ${shortUrl(url)}:${lineNumber + 1}`;
    bySelf.set(key, (bySelf.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  const per = (bytes: number) => (bytes / result.requests).toFixed(0).padStart(8);
  console.log(
    `${result.requests} requests: ${per(total).trim()} bytes allocated per request (sampled every ${INTERVAL} B)`,
  );
  console.log("bytes/req  function");
  for (const [key, bytes] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, TOP))
    console.log(`${per(bytes)}  ${key}`);
} finally {
  await stopChild(child);
  await stopChild(upstream.child);
  rmSync(dataDir, { recursive: true, force: true });
}
