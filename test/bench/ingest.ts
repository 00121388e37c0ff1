import { availableParallelism, loadavg } from "node:os";
import { measureIngestUnderLoad } from "./ingest-load.ts";
import { measureSoloIngest, type SoloResult } from "./ingest-solo.ts";

/**
 * `npm run bench:ingest`: (1) ingest on its own — BENCH_INGEST_EVENTS (200,000) events already in an
 * embedded log, timed until all are in embedded ClickHouse; (2) the one-process stack under
 * BENCH_CONNECTIONS (64) connections for BENCH_DURATION_SEC (20) s against the fake upstream: gateway
 * req/s, ingest rows/s meanwhile, the backlog when the load stops and its drain time.
 * Prints figures; asserts nothing. Wall times on a shared box vary with its load, so part (1) also
 * prints the CPU time per event (all threads of the process, the engine's included).
 */
const root = new URL("../..", import.meta.url).pathname;
const events = Number(process.env.BENCH_INGEST_EVENTS ?? 200_000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const durationSec = Number(process.env.BENCH_DURATION_SEC ?? 20);

/** Measured on the same box before the fix (timer-driven 1,000-row flushes, 500-record bus batches). */
const BEFORE = { eventsPerSec: 476, note: "20,000 events in 42 s; issue 10 reports 466/s for 200,000 (432 s)" };

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits });

function printSolo(label: string, r: SoloResult): void {
  console.log(
    `  ${label.padEnd(34)} ${fmt(r.eventsPerSec).padStart(8)} events/s  ${r.ingestSec.toFixed(1).padStart(6)} s  ` +
      `${fmt(r.events / Math.max(1, r.inserts)).padStart(6)} rows/insert  ${r.cpuMicrosPerEvent.toFixed(1).padStart(6)} µs CPU/event  ` +
      `loop delay p99 ${r.p99LoopStallMs.toFixed(0)} ms, max ${r.maxLoopStallMs.toFixed(0)} ms` +
      (r.rowsStored === r.events ? "" : `  WARNING: ${r.rowsStored} rows stored`),
  );
}

console.log(
  `\nSwitchyard ingest benchmark (embedded log → embedded ClickHouse); load average at start: ` +
    `${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} on ${availableParallelism()} CPUs`,
);
console.log(`\n(1) ingest on its own: ${fmt(events)} events already in the log`);
const solo = await measureSoloIngest(events);
printSolo("default settings", solo);
// The embedded bus hands a subscriber at most 500 records per batch unless the subscription asks for more.
const bigBatches = await measureSoloIngest(events, {}, { maxBatchRecords: 10_000, maxBatchBytes: 32 * 1024 * 1024 });
printSolo("bus batches of 10,000 records", bigBatches);
console.log(`  before the fix: ${fmt(BEFORE.eventsPerSec)} events/s (${BEFORE.note})`);
console.log("  target: ≥ 50,000 events/s");

console.log(`\n(2) one-process stack (gateway + ingest + analytics), ${connections} connections, ${durationSec} s`);
const load = await measureIngestUnderLoad({ root, connections, durationSec });
// The same stack without ingest: what sharing the event loop with the consumer costs the gateway.
const alone = await measureIngestUnderLoad({
  root,
  connections,
  durationSec,
  env: { SWITCHYARD_SERVICES: "gateway,analytics" },
});
const latency = (r: typeof load) => `p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, non-2xx ${r.non2xx}`;
console.log(`  gateway                 ${fmt(load.gatewayRequestsPerSec).padStart(8)} req/s  (${latency(load)})`);
console.log(`  gateway, ingest off     ${fmt(alone.gatewayRequestsPerSec).padStart(8)} req/s  (${latency(alone)})`);
console.log(`  ingest during load      ${fmt(load.ingestRowsPerSec).padStart(8)} rows/s`);
console.log(
  `  backlog at load stop    ${fmt(load.backlogAtStop).padStart(8)} events (largest 1 s sample: ${fmt(load.maxBacklog)})`,
);
console.log(
  `  drain time              ${load.drainSec === null ? "   not drained" : `${load.drainSec.toFixed(1).padStart(8)} s`}  ` +
    `(${fmt(load.rowsWritten)} rows for ${fmt(load.eventsPublished)} published events)`,
);
console.log(
  `\nload average at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} on ${availableParallelism()} CPUs`,
);
