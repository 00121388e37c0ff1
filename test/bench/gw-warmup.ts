import { readdirSync, readFileSync } from "node:fs";
import { runLoad } from "./load.ts";
import { benchCpuSets, startGateway, startUpstream, stopChild, viaGatewayHeaders } from "./processes.ts";

/**
 * `node test/bench/gw-warmup.ts [checkout]`: one freshly started gateway under the bench's single-target
 * load (32 connections, events on, tracing off) in consecutive windows, each window's CPU µs per request
 * by thread: the main thread, V8's workers (concurrent compilation and GC) and the libuv pool (fsyncs).
 * Shows how long the gateway takes to reach its steady cost: the bench measures after a few seconds of
 * warm-up, while V8 is still compiling. Knobs: BENCH_WINDOWS (8), BENCH_DURATION_SEC (per window, 6).
 */
const root = process.argv[2] ?? new URL("../..", import.meta.url).pathname;
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 8);
const DURATION_SEC = Number(process.env.BENCH_DURATION_SEC ?? 6);
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] });
const cpus = benchCpuSets();
const TICK_US = 10_000; // USER_HZ 100 on Linux

/** user+system ticks by thread name (V8's workers and the libuv pool share a name each, summed). */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = text.slice(text.indexOf("(") + 1, text.lastIndexOf(")"));
      const fields = text.slice(text.lastIndexOf(") ") + 2).split(" ");
      out.set(name, (out.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

const upstream = await startUpstream(root, cpus?.rest);
const gateway = await startGateway(
  root,
  { OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_TRACES_EXPORTER: "none" },
  { cpus: cpus?.gateway },
);
try {
  const pid = gateway.child.pid!;
  console.log("window  load s  req/s   total µs/req  main   V8 workers  libuv pool  other");
  for (let w = 0; w < WINDOWS; w++) {
    const before = threadTicks(pid);
    const r = await runLoad({
      url: gateway.url,
      headers: viaGatewayHeaders(upstream.baseUrl),
      body,
      connections: 32,
      durationSec: DURATION_SEC,
      cpus: cpus?.rest,
    });
    const after = threadTicks(pid);
    const used = (name: string) => ((after.get(name) ?? 0) - (before.get(name) ?? 0)) * TICK_US;
    let total = 0;
    for (const name of after.keys()) total += used(name);
    const main = used("MainThread");
    const v8 = used("V8Worker");
    const pool = used("libuv-worker");
    const per = (us: number) => (us / r.requests).toFixed(1).padStart(7);
    console.log(
      `${String(w + 1).padStart(6)}  ${String((w + 1) * DURATION_SEC).padStart(6)}  ${r.requestsPerSec.toFixed(0).padStart(5)}  ${per(total)}       ${per(main)} ${per(v8)}     ${per(pool)}    ${per(total - main - v8 - pool)}`,
    );
  }
  console.log(`load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(", ")}`);
} finally {
  await gateway.stop();
  await stopChild(upstream.child);
}
