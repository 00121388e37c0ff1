import { pacedLoad } from "./analytics-measure.ts";
import { cpuMicros, threadMeter } from "./cpu.ts";
import { startStack, startUpstream, stopChild, viaGatewayHeaders } from "./processes.ts";

/**
 * `node test/bench/ingest-paced.ts`: what ingest costs the one-process stack at a FIXED request rate
 * (BENCH_RATE, 300 req/s open loop, BENCH_DURATION_SEC 20 s), so that every configuration handles the
 * same events and its CPU per request is comparable on a shared box, where closed-loop req/s mostly
 * measures the neighbours. Cases, interleaved over BENCH_ROUNDS (2): ingest on (defaults), ingest on
 * with the previous live defaults (200 ms linger, 10,000 rows), ingest off. Prints the stack's CPU per
 * request from the start of the load until ingest has written every event, by thread.
 */
const root = new URL("../..", import.meta.url).pathname;
const rate = Number(process.env.BENCH_RATE ?? 300);
const durationSec = Number(process.env.BENCH_DURATION_SEC ?? 20);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const CASES: Record<string, Record<string, string>> = {
  "ingest on": {},
  "ingest on, 200 ms, 10k": { INGEST_FLUSH_INTERVAL_MS: "200", INGEST_BATCH_MAX_ROWS: "10000" },
  "ingest off": { SWITCHYARD_SERVICES: "gateway,analytics" },
};

/** The stack's own counters: events published to the log and rows ingest wrote to `requests`. */
async function counters(metricsUrl: string): Promise<{ published: number; rows: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const sum = (prefix: string, label = "") =>
    text
      .split("\n")
      .filter((l) => l.startsWith(prefix) && l.includes(label))
      .reduce((total, l) => total + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
  return {
    published: sum("switchyard_events_published"),
    rows: sum("switchyard_ingest_rows_written", 'table="requests"'),
  };
}

async function runCase(name: string, env: Record<string, string>) {
  const upstream = await startUpstream(root);
  const stack = await startStack(root, { LOG_LEVEL: "warn", ...env });
  try {
    const metricsUrl = `http://127.0.0.1:${stack.analyticsPort}/metrics`;
    const pid = stack.child.pid;
    const threads = threadMeter(pid);
    const cpu0 = cpuMicros(pid);
    const timings = await pacedLoad({
      url: `http://127.0.0.1:${stack.gatewayPort}/v1/chat/completions`,
      headers: viaGatewayHeaders(upstream.baseUrl),
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] }),
      rate,
      durationSec,
      serverPid: pid,
    });
    const stopped = performance.now();
    let drainSec: number | null = null;
    if (!name.includes("off")) {
      for (;;) {
        const c = await counters(metricsUrl);
        if (c.rows >= c.published && c.published > 0) break;
        if (performance.now() - stopped > 60_000) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      drainSec = (performance.now() - stopped) / 1000;
    }
    const used = (cpuMicros(pid) ?? 0) - (cpu0 ?? 0);
    const per = Math.max(1, timings.count);
    const byThread = threads
      .stop()
      .filter(([, us]) => us / per >= 1)
      .map(([n, us]) => `${n} ${(us / per).toFixed(0)}`)
      .join(", ");
    console.log(
      `  ${name.padEnd(24)} ${timings.count} req, p50 ${timings.p50.toFixed(1)} ms, p99 ${timings.p99.toFixed(0)} ms, ` +
        `failed ${timings.failures}${drainSec === null ? "" : `, all rows in ${drainSec.toFixed(1)} s after the load`}\n` +
        `  ${"".padEnd(24)} ${(used / per).toFixed(0)} CPU µs/req: ${byThread}`,
    );
  } finally {
    await stack.stop();
    await stopChild(upstream.child);
  }
}

console.log(`\nstack at ${rate} req/s open loop for ${durationSec} s, ${rounds} rounds`);
for (let round = 0; round < rounds; round++) {
  for (const [name, env] of Object.entries(CASES)) await runCase(name, env);
}
