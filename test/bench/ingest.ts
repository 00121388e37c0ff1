import { availableParallelism } from "node:os";
import { type LoadIngestResult, measureIngestUnderLoad } from "./ingest-load.ts";
import { measureSoloIngest, type SoloResult } from "./ingest-solo.ts";
import { loadLine, machineLine } from "./processes.ts";

/**
 * `npm run bench:ingest`: (1) ingest on its own — BENCH_INGEST_EVENTS (200,000) events already in an
 * embedded log, timed until all are in embedded ClickHouse; (2) the one-process stack under
 * BENCH_CONNECTIONS (64) connections for BENCH_DURATION_SEC (20) s against the fake upstream: gateway
 * req/s, ingest rows/s meanwhile, the backlog when the load stops and its drain time.
 * Part (2) also runs the stack with ingest off, to show what sharing the process costs the gateway.
 * The figures before the fix were measured with this script on a checkout of the commit before it.
 * Prints figures; asserts nothing. Wall times on a shared box vary with its load, so part (1) also
 * prints the CPU time per event (all threads of the process, the engine's included).
 */
const root = new URL("../..", import.meta.url).pathname;
const events = Number(process.env.BENCH_INGEST_EVENTS ?? 200_000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const durationSec = Number(process.env.BENCH_DURATION_SEC ?? 20);
/**
 * This script on a checkout of 57eed0b (before the fix: 1 s flush timer, JSONEachRow), same 2-CPU box,
 * load average ~3-5. The gateway's req/s also differ between the checkouts for reasons outside ingest.
 */
const BEFORE = {
  solo: "468 events/s (20,000 events in 42.7 s, 500 rows/insert, 165 µs CPU/event)",
  stack: "5,848 req/s, ingest 400 rows/s, backlog at stop 109,115, drained in 242 s",
};

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits });

function printSolo(label: string, r: SoloResult): void {
  console.log(
    `  ${label.padEnd(36)} ${fmt(r.eventsPerSec).padStart(8)} events/s  ${r.ingestSec.toFixed(1).padStart(6)} s  ` +
      `${fmt(r.events / Math.max(1, r.inserts)).padStart(6)} rows/insert  ${r.cpuMicrosPerEvent.toFixed(1).padStart(6)} µs CPU/event  ` +
      `loop delay p99 ${r.p99LoopStallMs.toFixed(0)} ms, max ${r.maxLoopStallMs.toFixed(0)} ms` +
      (r.rowsStored === r.events ? "" : `  WARNING: ${r.rowsStored} rows stored`),
  );
  const top = r.threads
    .filter(([, us]) => us >= 0.5)
    .map(([name, us]) => `${name} ${us.toFixed(1)}`)
    .join(", ");
  console.log(`  ${"".padEnd(36)} CPU µs/event by thread: ${top}`);
}

function printLoad(label: string, r: LoadIngestResult, ingest = true): void {
  const drain = r.drainSec === null ? "not drained" : `drained in ${r.drainSec.toFixed(1)} s`;
  console.log(
    `  ${label.padEnd(24)} ${fmt(r.gatewayRequestsPerSec).padStart(6)} req/s (p50 ${r.p50Ms.toFixed(1)} ms, p99 ` +
      `${r.p99Ms.toFixed(1)} ms, non-2xx ${r.non2xx})` +
      (ingest
        ? `  ingest ${fmt(r.ingestRowsPerSec).padStart(6)} rows/s in ${fmt(r.insertsPerSec, 1)} inserts/s  ` +
          `backlog at stop ${fmt(r.backlogAtStop).padStart(6)} (max ${fmt(r.maxBacklog)})  ${drain}`
        : ""),
  );
  if (r.cpuMicrosPerRequest !== null) {
    const top = r.threads
      .filter(([, us]) => us >= 0.5)
      .map(([name, us]) => `${name} ${us.toFixed(1)}`)
      .join(", ");
    console.log(
      `  ${"".padEnd(24)} ${r.cpuMicrosPerRequest.toFixed(1)} CPU µs/req (${ingest ? "load + drain" : "load"}): ${top}`,
    );
  }
}

console.log(`\nSwitchyard ingest benchmark (embedded log → embedded ClickHouse); ${machineLine()}`);

console.log(`\n(1) ingest on its own: events already in the log → chdb`);
const solo = await measureSoloIngest(events);
printSolo(`${fmt(events)} events`, solo);
// A bigger insert size in the same run: fewer parts and merges, but more rows in flight and longer stalls.
printSolo(`${fmt(events)}, 10,000-row inserts`, await measureSoloIngest(events, { batchMaxRows: 10_000 }));
// On a shared box the wall rate mostly measures the neighbours; CPU per event bounds what idle CPUs allow.
const cpus = availableParallelism();
console.log(
  `  CPU-bound ceiling on ${cpus} idle CPUs: ${fmt((cpus * 1e6) / solo.cpuMicrosPerEvent)} events/s ` +
    `(${cpus} × 1 s / ${solo.cpuMicrosPerEvent.toFixed(1)} µs; every thread busy, none waiting)`,
);
console.log(`  before the fix: ${BEFORE.solo}`);
console.log("  target: ≥ 50,000 events/s on an idle machine");

console.log(`\n(2) one-process stack (gateway + ingest + analytics), ${connections} connections, ${durationSec} s`);
printLoad("ingest on", await measureIngestUnderLoad({ root, connections, durationSec }));
// The previous defaults in the same run (the insert-rate bound still applies, at 5 inserts/s).
const previous = { INGEST_FLUSH_INTERVAL_MS: "200", INGEST_BATCH_MAX_ROWS: "10000" };
printLoad("ingest on, 200 ms, 10k", await measureIngestUnderLoad({ root, connections, durationSec, env: previous }));
const ingestOff = { SWITCHYARD_SERVICES: "gateway,analytics" };
printLoad("ingest off", await measureIngestUnderLoad({ root, connections, durationSec, env: ingestOff }), false);
console.log(`  before the fix (ingest on): ${BEFORE.stack}`);
console.log(`\nload average at the end: ${loadLine()}`);
