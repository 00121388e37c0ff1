import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { runLoad } from "./load.ts";
import { startGateway, startUpstream, stopChild, viaGatewayHeaders } from "./processes.ts";

/**
 * `node test/bench/gw-syscalls.ts [checkout]`: the gateway's system calls per request under the bench's
 * single-target load (32 connections, events on, tracing off), counted by `strace -c -f` attached for a
 * second window, after a window without strace that gives the user/system split of its CPU per request.
 * Syscall counts do not move with the box's load, so they show a change in the I/O pattern (socket
 * writes, fsyncs, timers) where CPU figures are noise. strace slows the gateway down: read its window as
 * counts per request only. Knobs: BENCH_WARMUP_SEC (6), BENCH_DURATION_SEC (per window, 8).
 */
const root = process.argv[2] ?? new URL("../..", import.meta.url).pathname;
const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SEC ?? 6);
const DURATION_SEC = Number(process.env.BENCH_DURATION_SEC ?? 8);
const TICK_US = 10_000; // USER_HZ 100 on Linux
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] });

/** utime and stime of the whole process, in clock ticks. */
function ticks(pid: number): { user: number; system: number } {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = text.slice(text.lastIndexOf(") ") + 2).split(" ");
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

const upstream = await startUpstream(root);
const gateway = await startGateway(root, { OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_TRACES_EXPORTER: "none" });
const load = (durationSec: number) =>
  runLoad({ url: gateway.url, headers: viaGatewayHeaders(upstream.baseUrl), body, connections: 32, durationSec });
try {
  const pid = gateway.child.pid!;
  await load(WARMUP_SEC);
  const before = ticks(pid);
  const plain = await load(DURATION_SEC);
  const after = ticks(pid);
  const per = (t: number) => ((t * TICK_US) / plain.requests).toFixed(1);
  console.log(
    `without strace: ${plain.requests} requests, user ${per(after.user - before.user)} µs/req, system ${per(after.system - before.system)} µs/req`,
  );
  const strace = spawn("strace", ["-c", "-f", "-p", String(pid)], { stdio: ["ignore", "ignore", "pipe"] });
  let report = "";
  strace.stderr.on("data", (d: Buffer) => {
    report += d.toString();
  });
  // strace attaches to every thread before the window opens.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const traced = await load(DURATION_SEC);
  strace.kill("SIGINT");
  await new Promise((resolve) => strace.once("exit", resolve));
  console.log(`with strace: ${traced.requests} requests; calls per request:`);
  for (const line of report.split("\n")) {
    // % time, seconds, usecs/call, calls, [errors,] syscall
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/.exec(line);
    if (m) console.log(`  ${m[2]!.padEnd(16)} ${(Number(m[1]) / traced.requests).toFixed(3)}`);
  }
  console.log(`load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(", ")}`);
} finally {
  await gateway.stop();
  await stopChild(upstream.child);
}
