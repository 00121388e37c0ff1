import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { encodeEvent, RequestEvent, Topics } from "@switchyard/events";
import { type IngestConfigInput, startIngest } from "@switchyard/ingest";
import { makeRequestEvent } from "@switchyard/ingest/testing";
import { createClickHouse, createLogger, EmbeddedEventBus, runMigrations } from "@switchyard/platform";
import { threadMeter } from "./cpu.ts";

export interface SoloResult {
  events: number;
  publishSec: number;
  ingestSec: number;
  eventsPerSec: number;
  rowsStored: number;
  inserts: number;
  /** Share of the ingest time the table writer spent in its sink (lookup + insert), summed over its insert lanes: ~lanes = the engine path bounds it. */
  engineBusyShare: number;
  /** CPU time of the whole process (all threads, chdb's included) per event: steadier than wall time on a shared box. */
  cpuMicrosPerEvent: number;
  /** Longest gap between two turns of the event loop while ingest ran (how much it would stall a gateway). */
  maxLoopStallMs: number;
  p99LoopStallMs: number;
  /** CPU by thread name, µs per event, most first (chdb runs statements on libuv-worker threads). */
  threads: Array<[string, number]>;
  /**
   * CPUs' worth the rest of the box used while ingest ran (all CPUs' busy time in /proc/stat minus this
   * process's): on a shared box, wall figures compare only between runs whose neighbours took about as much.
   */
  neighbourCpus: number;
}

/** Busy µs of every CPU of the box so far (/proc/stat: user, nice, system, irq, softirq, steal); 0 off Linux. */
function boxBusyMicros(): number {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return ((user + nice + system + irq + softirq + steal) / 100) * 1e6; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

const logger = createLogger({ level: "warn", name: "bench-ingest" });

/** Gateway-shaped events: a handful of tenants, users and models, timestamps spread over the last hour. */
export function benchEvent(i: number, now: number): RequestEvent {
  return makeRequestEvent({
    occurred_at: new Date(now - 3_600_000 + (Math.floor((i * 3_600_000) / 200_000) % 3_600_000)).toISOString(),
    tenant_id: `tenant-${i % 5}`,
    user: `user-${i % 50}`,
    model_requested: i % 3 === 0 ? "gpt-4o" : "gpt-4o-mini",
    metadata: { env: "bench", team: `team-${i % 7}` },
    cost_nano_usd: 1_000 + (i % 997),
  });
}

/** Event-loop delay while `work` runs: what a request sharing the loop with ingest would wait. */
async function withLoopDelay<T>(work: () => Promise<T>): Promise<{ value: T; maxStallMs: number; p99StallMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  try {
    const value = await work();
    return { value, maxStallMs: histogram.max / 1e6, p99StallMs: histogram.percentile(99) / 1e6 };
  } finally {
    histogram.disable();
  }
}

/**
 * Ingest on its own: `events` RequestEvents are first published to an embedded log in a temp dir,
 * then ingest (in this process, chdb in a temp dir) is started and timed until every row is stored
 * and every offset committed.
 */
/** Publishes bench events 0…count−1 (their hour ending at `now`) to the requests topic, 5,000 per call. */
export async function publishBenchEvents(bus: EmbeddedEventBus, count: number, now: number): Promise<void> {
  for (let i = 0; i < count; i += 5_000) {
    const records = [];
    for (let j = i; j < Math.min(count, i + 5_000); j++) {
      const event = benchEvent(j, now);
      records.push({ key: event.trace_id, value: encodeEvent(RequestEvent, event) });
    }
    await bus.publish(Topics.requests, records);
  }
}

export async function measureSoloIngest(
  events: number,
  config: IngestConfigInput = {},
  busBatch: { maxBatchRecords?: number; maxBatchBytes?: number } = {},
  /** Called right before ingest starts and right after the last offset is committed (e.g. a profiler). */
  window: { start?: () => Promise<void>; end?: () => Promise<void> } = {},
): Promise<SoloResult> {
  const dir = await mkdtemp(join(tmpdir(), "sy-bench-ingest-"));
  try {
    const logDir = join(dir, "log");
    const writer = await EmbeddedEventBus.open({ dataDir: logDir, logger });
    await writer.ensureTopics(
      [Topics.requests, Topics.feedback, Topics.deadLetters].map((name) => ({ name, partitions: 1 })),
    );
    const now = Date.now();
    const publishStart = performance.now();
    await publishBenchEvents(writer, events, now);
    const publishSec = (performance.now() - publishStart) / 1000;
    await writer.close();

    const bus = await EmbeddedEventBus.open({ dataDir: logDir, logger, ...busBatch });
    const clickhouse = await createClickHouse({ kind: "embedded", path: join(dir, "clickhouse") });
    try {
      const groupId = "bench-ingest";
      // Schema first, so the timing covers consuming and inserting only.
      await runMigrations(clickhouse.client);
      await window.start?.();
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const boxBefore = boxBusyMicros();
      const threads = threadMeter(process.pid);
      const ingest = await startIngest({ bus, clickhouse, logger, config: { ...config, groupId } });
      const { maxStallMs, p99StallMs } = await withLoopDelay(async () => {
        // Done = every offset committed (rows are stored before their offsets are committed).
        for (;;) {
          const committed = (await bus.committedOffsets(groupId, Topics.requests)).get(0);
          if (Number(committed ?? 0) >= events) break;
          await new Promise((r) => setTimeout(r, 100)); // each look reads the offsets file: keep the bench's own CPU small
        }
      });
      const ingestSec = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const neighbourMicros = boxBusyMicros() - boxBefore - (cpu.user + cpu.system);
      const byThread = threads.stop().map(([name, micros]): [string, number] => [name, micros / events]);
      await window.end?.();
      const stats = ingest.stats();
      await ingest.stop();
      const result = await clickhouse.client.query({
        query: "SELECT count() AS n FROM requests",
        format: "JSONEachRow",
      });
      const [row] = await result.json<{ n: string }>();
      return {
        events,
        publishSec,
        ingestSec,
        eventsPerSec: events / ingestSec,
        rowsStored: Number(row?.n ?? 0),
        inserts: stats.requests.flushes,
        engineBusyShare: stats.requests.flushSeconds / ingestSec,
        cpuMicrosPerEvent: (cpu.user + cpu.system) / events,
        maxLoopStallMs: maxStallMs,
        p99LoopStallMs: p99StallMs,
        threads: byThread,
        neighbourCpus: Math.max(0, neighbourMicros) / 1e6 / ingestSec,
      };
    } finally {
      await bus.close();
      await clickhouse.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const events = Number(process.env.BENCH_INGEST_EVENTS ?? 200_000);
  const config: IngestConfigInput = {};
  if (process.env.INGEST_BATCH_MAX_ROWS) config.batchMaxRows = Number(process.env.INGEST_BATCH_MAX_ROWS);
  if (process.env.INGEST_FLUSH_INTERVAL_MS) config.flushIntervalMs = Number(process.env.INGEST_FLUSH_INTERVAL_MS);
  if (process.env.INGEST_INSERT_LANES) config.insertLanes = Number(process.env.INGEST_INSERT_LANES);
  const busRecords = Number(process.env.BENCH_BUS_BATCH ?? 0);
  console.log(
    await measureSoloIngest(
      events,
      config,
      busRecords > 0 ? { maxBatchRecords: busRecords, maxBatchBytes: busRecords * 4096 } : {},
    ),
  );
}
