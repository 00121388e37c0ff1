import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  closeAgent,
  combine,
  loopUntil,
  pacedLoad,
  type Timings,
  timedGet,
  timeSequential,
} from "./analytics-measure.ts";
import { SEED_TENANTS, SEED_USERS_PER_TENANT, type SeedResult } from "./analytics-seed.ts";
import { cpuMicros } from "./cpu.ts";
import { measureSoloIngest } from "./ingest-solo.ts";
import { loadLine, machineLine, startStack, startUpstream, stopChild, viaGatewayHeaders } from "./processes.ts";

/**
 * `npm run bench:analytics` (issue 11, points 4 and 5): seeds ANALYTICS_ROWS (10,000,000) synthetic requests
 * into an embedded store (analytics-seed.ts), starts `npm start`'s one process on it, and measures through
 * the HTTP API: trace lookup, 30-day breakdowns (one tenant, all tenants), the first page of a filtered
 * request search, the heaviest breakdown the API allows; the gateway's p99 at a moderate open-loop rate
 * idle and while that heaviest query runs back to back; then ingest's events/s (ingest-solo.ts).
 * Prints figures beside their targets; asserts nothing. Knobs: ANALYTICS_ROWS, ANALYTICS_REPS (20),
 * ANALYTICS_GATEWAY_RPS (100), BENCH_DURATION_SEC (30 s each of idle and busy, in BENCH_ROUNDS (6) rounds: a p99
 * of 3,000 requests per side; 900 over 3 × 3 s read anywhere from 1.0 to 2.9 for the same code on a quiet box),
 * BENCH_INGEST_EVENTS (100,000). For iteration: ANALYTICS_DATA_DIR keeps the seeded store there and reuses it on the
 * next run (its seed.json says what it holds; delete the folder to reseed: the seed's timestamps are relative to
 * when it ran, and 20 minutes later the bodies' 30-day TTL would start merges rewriting the oldest parts in every
 * run, so a reused store's TTL merges are held: holdTtlMerges in analytics-seed.ts), and
 * ANALYTICS_TRACE_ONLY=1 measures the trace lookup alone (no breakdowns, gateway or ingest). ANALYTICS_SEED_BODIES=0
 * seeds no prompt/answer bodies (before 2026-12-08 no seed had them; a kept store is reused only with the same choice).
 */
const root = new URL("../..", import.meta.url).pathname;
const rows = Number(process.env.ANALYTICS_ROWS ?? 10_000_000);
const reps = Number(process.env.ANALYTICS_REPS ?? 20);
const rate = Number(process.env.ANALYTICS_GATEWAY_RPS ?? 100);
const durationSec = Number(process.env.BENCH_DURATION_SEC ?? 30);
const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
const windowSec = Math.max(1, Math.round(durationSec / rounds));
const ingestEvents = Number(process.env.BENCH_INGEST_EVENTS ?? 100_000);
const keptDir = process.env.ANALYTICS_DATA_DIR;
const traceOnly = process.env.ANALYTICS_TRACE_ONLY === "1";
/** Prompt and answer bodies on every row (the default, as the gateway captures them); 0: a store without them. */
const bodies = process.env.ANALYTICS_SEED_BODIES !== "0";

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits });
const pick = (n: number) => Math.floor(Math.random() * n);

function line(label: string, t: Timings, target: string): void {
  const cpu = t.cpuMicrosPerRequest === null ? "" : `  ${fmt(t.cpuMicrosPerRequest / 1000, 1)} ms CPU/req`;
  const failed = t.failures === 0 ? "" : `  FAILED ${t.failures}/${t.count}: ${t.firstFailure}`;
  console.log(
    `  ${label.padEnd(44)} p50 ${fmt(t.p50, 1).padStart(7)}  p95 ${fmt(t.p95, 1).padStart(7)}  p99 ${fmt(t.p99, 1).padStart(7)} ms${cpu}  target ${target}${failed}`,
  );
}

console.log(`\nSwitchyard analytics benchmark: ${fmt(rows)} requests, embedded stack; ${machineLine()}`);
const dataDir = keptDir ?? (await mkdtemp(join(tmpdir(), "sy-bench-analytics-")));
/** The kept store's seed, when ANALYTICS_DATA_DIR already holds one of `rows` rows. */
async function keptSeed(): Promise<SeedResult | null> {
  if (keptDir === undefined) return null;
  const seed = JSON.parse(await readFile(join(keptDir, "seed.json"), "utf8").catch(() => "null")) as SeedResult | null;
  if (seed === null) return null;
  // A kept store of another shape took minutes to seed: never deleted without being asked.
  if (seed.rows !== rows || (seed.bodies ?? false) !== bodies) {
    throw new Error(
      `${keptDir} holds ${seed.rows} rows ${seed.bodies ? "with" : "without"} bodies, not ${rows} ${bodies ? "with" : "without"}: set ANALYTICS_ROWS=${seed.rows} ANALYTICS_SEED_BODIES=${seed.bodies ? 1 : 0} to reuse it, or delete the folder to reseed`,
    );
  }
  return seed;
}
try {
  let seed = await keptSeed();
  if (seed === null) {
    if (keptDir !== undefined) {
      await rm(keptDir, { recursive: true, force: true });
      await mkdir(keptDir, { recursive: true });
    }
    const seedOut = await promisify(execFile)(
      process.execPath,
      [join(root, "test/bench/analytics-seed.ts"), dataDir, String(rows), ...(bodies ? [] : ["no-bodies"])],
      {
        maxBuffer: 1024 * 1024,
      },
    );
    seed = JSON.parse(seedOut.stdout.trim().split("\n").at(-1)!) as SeedResult;
    if (keptDir !== undefined) await writeFile(join(keptDir, "seed.json"), JSON.stringify(seed));
    console.log(
      `  seeded ${fmt(seed.rows)} rows ${seed.bodies ? "with" : "without"} bodies in ${fmt(seed.seconds, 1)} s (${fmt(seed.rows / seed.seconds)} rows/s, INSERT … SELECT FROM numbers()), merged in ${fmt(seed.mergeSeconds, 1)} s`,
    );
  } else {
    console.log(
      `  reusing the ${fmt(seed.rows)} rows ${seed.bodies ? "with" : "without"} bodies seeded in ${dataDir} at ${new Date(seed.end).toISOString()}`,
    );
    // In a child: chdb binds one data dir per process (analytics-seed.ts says why).
    await promisify(execFile)(process.execPath, [
      join(root, "test/bench/analytics-seed.ts"),
      dataDir,
      "hold-ttl-merges",
    ]);
  }

  const upstream = await startUpstream(root);
  const stack = await startStack(root, {
    DATA_DIR: dataDir,
    OTEL_EXPORTER_OTLP_ENDPOINT: "",
    OTEL_TRACES_EXPORTER: "none",
    OTEL_METRICS_EXPORTER: "none",
    LOG_LEVEL: "warn",
  });
  const pid = stack.child.pid;
  const api = `http://127.0.0.1:${stack.analyticsPort}`;
  try {
    const window = `from=${new Date(seed.start).toISOString()}&to=${new Date(seed.end + 60_000).toISOString()}`;
    const repeat = (make: () => string, n = reps) => Array.from({ length: n }, make);
    // Warm the engine's caches the way a running system has them (marks, first parts read).
    for (const url of [`${api}/v1/traces/trace-1`, `${api}/v1/analytics/breakdown?${window}`]) await timedGet(url);

    const restBefore = cpuMicros(pid);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const restAfter = cpuMicros(pid);
    const restMicrosPerSec = restBefore === null || restAfter === null ? null : (restAfter - restBefore) / 3;
    if (restMicrosPerSec !== null) {
      console.log(
        `  stack process at rest: ${fmt(restMicrosPerSec / 1000, 1)} ms CPU/s (included in the CPU/req below)`,
      );
    }
    console.log(`\n(5) reads through the HTTP API, ${reps} sequential requests each (100 for the trace lookup)`);
    /** One read case: its label, the URL of each request, its target, and how many requests (default reps). */
    type ReadCase = [label: string, url: () => string, target: string, count?: number];
    const timeReads = async (cases: ReadCase[]) => {
      for (const [label, url, target, count] of cases)
        line(label, await timeSequential(repeat(url, count), pid), target);
    };
    await timeReads([["trace lookup", () => `${api}/v1/traces/trace-${pick(rows / 2)}`, "p95 ≤ 20 ms", 100]]);
    if (!traceOnly) {
      const oneTenant = `${api}/v1/analytics/breakdown?${window}&tenant_id=tenant-0`;
      const allTenants = `${api}/v1/analytics/breakdown?${window}`;
      const user = () => `user-${pick(SEED_TENANTS * SEED_USERS_PER_TENANT)}`;
      await timeReads([
        ["30-day breakdown, one tenant, by model", () => `${oneTenant}&group_by=model`, "p95 ≤ 100 ms"],
        ["30-day breakdown, one tenant, by user", () => `${oneTenant}&group_by=user`, "p95 ≤ 100 ms"],
        ["30-day breakdown, all tenants, by model", () => `${allTenants}&group_by=model`, "p95 ≤ 300 ms"],
        ["30-day breakdown, all tenants, by tenant", () => `${allTenants}&group_by=tenant`, "p95 ≤ 300 ms"],
        [
          "request search, first page (user, 30 days)",
          () => `${api}/v1/requests?${window}&user=${user()}&limit=50`,
          "≤ 100 ms",
        ],
        [
          "request search, first page (model + errors)",
          () => `${api}/v1/requests?${window}&model=gpt-4o&status=error&limit=50`,
          "≤ 100 ms",
        ],
      ]);
      // The heaviest reads the API allows: no rollup answers them (metadata key, every metric incl. feedback).
      const heaviest = [
        `${allTenants}&group_by=metadata.feature&limit=1000&sort=latency_p99_ms&metrics=requests,errors,error_rate,cost_usd,latency_p50_ms,latency_p90_ms,latency_p99_ms,ttft_p99_ms,cache_hit_rate,rescued,feedback_count,feedback_weighted_avg`,
        `${allTenants}&group_by=user&limit=1000&sort=latency_p99_ms`,
      ];
      await timeReads([["heaviest breakdowns (metadata.feature; user)", () => heaviest[pick(2)]!, "bounded", 6]]);

      console.log(
        `\n(4) gateway at ${rate} req/s open loop, ${rounds} rounds of ${windowSec} s idle then ${windowSec} s busy (fake upstream), same process as analytics`,
      );
      const gateway = {
        url: `http://127.0.0.1:${stack.gatewayPort}/v1/chat/completions`,
        headers: viaGatewayHeaders(upstream.baseUrl),
        body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] }),
        rate,
        serverPid: pid,
      };
      await pacedLoad({ ...gateway, durationSec: 3 }); // warm-up
      // Idle and busy windows alternate, so a neighbour's load on this shared box falls on both alike.
      const idleRuns: Timings[] = [];
      const busyRuns: Timings[] = [];
      const heavyRuns: Timings[] = [];
      for (let round = 0; round < rounds; round++) {
        idleRuns.push(await pacedLoad({ ...gateway, durationSec: windowSec }));
        const stop = new AbortController();
        const heavyLoop = loopUntil(heaviest, stop.signal);
        busyRuns.push(await pacedLoad({ ...gateway, durationSec: windowSec }));
        stop.abort();
        // The last heavy query finishes before the next idle window opens.
        heavyRuns.push(await heavyLoop);
      }
      const [idle, busy, heavy] = [combine(idleRuns), combine(busyRuns), combine(heavyRuns)];
      const net = (t: Timings) =>
        restMicrosPerSec === null || t.cpuMicros === null
          ? ""
          : ` (${fmt((t.cpuMicros - restMicrosPerSec * windowSec * rounds) / t.count / 1000, 2)} ms CPU/req net of the process at rest)`;
      line("gateway idle", idle, `—${net(idle)}`);
      line("gateway while the heaviest query runs", busy, `p99 ≤ 2× idle (${fmt(idle.p99 * 2, 1)} ms)${net(busy)}`);
      line(`  (heaviest queries meanwhile: ${heavy.count})`, heavy, "bounded");
      console.log(`  p99 ratio busy/idle: ${fmt(busy.p99 / idle.p99, 2)} (target ≤ 2)`);
    }
  } finally {
    await stack.stop();
    await stopChild(upstream.child);
  }
} finally {
  if (keptDir === undefined) await rm(dataDir, { recursive: true, force: true });
}

if (!traceOnly) {
  console.log(
    `\n(5) ingest on its own: ${fmt(ingestEvents)} events in the embedded log → embedded ClickHouse (worker thread)`,
  );
  const solo = await measureSoloIngest(ingestEvents, {}, { maxBatchRecords: 10_000, maxBatchBytes: 32 * 1024 * 1024 });
  console.log(
    `  ${fmt(solo.eventsPerSec)} events/s (${fmt(solo.ingestSec, 1)} s, ${fmt(solo.cpuMicrosPerEvent, 1)} µs CPU/event, ` +
      `main-loop delay p99 ${fmt(solo.p99LoopStallMs)} ms, max ${fmt(solo.maxLoopStallMs)} ms)  target ≥ 50,000 events/s` +
      (solo.rowsStored === solo.events ? "" : `  WARNING: ${solo.rowsStored} rows stored`),
  );
}
await closeAgent();
console.log(`\nload average at the end: ${loadLine()}`);
