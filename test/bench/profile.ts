import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuMeter } from "./cpu.ts";
import { type CpuProfile, connectInspector } from "./inspector.ts";
import { runLoad } from "./load.ts";
import { benchCpuSets, freePort, startNode, startUpstream, stopChild, viaGatewayHeaders } from "./processes.ts";
import { printSummary, summarize } from "./profile-report.ts";

/**
 * `npm run bench:profile`: the gateway (or, with BENCH_PROFILE_TARGET=stack, `npm start`'s one
 * process) under the bench's single-target load at 32 connections, events on, tracing off, with V8's
 * sampling profiler running for exactly the measured window (started over the inspector after the
 * warm-up). Prints where the main thread's time goes per request and writes the .cpuprofile (open it
 * in Chrome DevTools or speedscope) to BENCH_PROFILE_OUT (default: a temp file, path printed).
 * V8 samples wall time: a thread preempted by the processes it wakes (wrk, the fake upstream, on a
 * small box) is billed to whatever it was doing, typically a socket write. So where taskset allows,
 * the profiled process gets a CPU of its own (benchCpuSets; BENCH_PIN=0 to share).
 */
const DURATION_SEC = Number(process.env.BENCH_DURATION_SEC ?? 10);
const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SEC ?? 8);
const INTERVAL_US = Number(process.env.BENCH_PROFILE_INTERVAL_US ?? 250);
const TARGET = process.env.BENCH_PROFILE_TARGET === "stack" ? "stack" : "gateway";
const root = new URL("../..", import.meta.url).pathname;
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] });

const cpus = benchCpuSets();
const upstream = await startUpstream(root, cpus?.rest);
const { baseUrl } = upstream;
const dataDir = mkdtempSync(join(tmpdir(), "sy-bench-profile-"));
const [port, analyticsPort, inspectPort] = [await freePort(), await freePort(), await freePort()];
const server = await startNode(
  join(root, TARGET === "stack" ? "stack/src/main.ts" : "gateway/src/main.ts"),
  {
    GATEWAY_PORT: String(port),
    ANALYTICS_PORT: String(analyticsPort),
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
    OTEL_EXPORTER_OTLP_ENDPOINT: "",
    OTEL_TRACES_EXPORTER: "none",
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --inspect=127.0.0.1:${inspectPort}`,
  },
  (l) => l.includes("gateway listening") || l.startsWith("Switchyard is running"),
  60_000,
  cpus?.gateway,
);
const load = {
  url: `http://127.0.0.1:${port}/v1/chat/completions`,
  headers: viaGatewayHeaders(baseUrl),
  body,
  connections: 32,
  cpus: cpus?.rest,
};

try {
  await runLoad({ ...load, durationSec: WARMUP_SEC });
  const inspector = await connectInspector(inspectPort);
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: INTERVAL_US });
  await inspector.send("Profiler.start");
  const meter = cpuMeter({ server: server.child.pid });
  const result = await runLoad({ ...load, durationSec: DURATION_SEC });
  const cpu = meter.stop().server;
  const { profile } = await inspector.send<{ profile: CpuProfile }>("Profiler.stop");
  inspector.close();
  const out = process.env.BENCH_PROFILE_OUT ?? join(mkdtempSync(join(tmpdir(), "sy-profile-")), `${TARGET}.cpuprofile`);
  writeFileSync(out, JSON.stringify(profile));
  console.log(
    `\n${TARGET} profiled for ${DURATION_SEC}s at 32 connections after ${WARMUP_SEC}s warm-up, sampling every ${INTERVAL_US} µs: ` +
      `${result.requestsPerSec.toFixed(0)} req/s, ${result.requests} requests, ${result.non2xx} non-2xx` +
      (cpus ? ` (on CPU ${cpus.gateway}; load and upstream on ${cpus.rest})` : " (all processes share every CPU)"),
  );
  if (cpu !== null && cpu !== undefined) {
    console.log(
      `process CPU (all threads) while profiling: ${(cpu / result.requests).toFixed(1)} µs/req (the profiler adds its own share)`,
    );
  }
  printSummary(summarize(profile, INTERVAL_US), result.requests);
  console.log(`\nprofile written to ${out}`);
} finally {
  await stopChild(server.child);
  await stopChild(upstream.child);
  rmSync(dataDir, { recursive: true, force: true });
}
