import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { PendingRow } from "@switchyard/ingest/testing";
import { createClickHouse, runMigrations } from "@switchyard/platform";
import { threadMeter } from "./cpu.ts";
import { probeChunks } from "./probe-events.ts";

/**
 * `node test/bench/probe-insert-pairs.ts [threads|fsync]`: wall time and libuv-thread CPU of one ingest
 * insert (PROBE_BATCH rows, 10,000) in two arms, PROBE_PAIRS (10) interleaved pairs, merges stopped:
 * paired medians, the figure that holds on a busy box. `threads`: the insert clause's max_threads 1 (the
 * embedded default on a 2-CPU box) against PROBE_THREADS (2). `fsync`: `requests` against a scratch copy
 * with fsync_after_insert and fsync_part_directory off (what the schema's fsyncs cost the serial insert path).
 */
const BATCH = Number(process.env.PROBE_BATCH ?? 10_000);
const PAIRS = Number(process.env.PROBE_PAIRS ?? 10);
const THREADS = Number(process.env.PROBE_THREADS ?? 2);
const MODE = process.argv[2] === "fsync" ? "fsync" : "threads";
/** The two arms: [label, table, max_threads]. */
const ARMS: Array<[string, string, number]> =
  MODE === "fsync"
    ? [
        ["fsync on", "requests", 1],
        ["fsync off", "requests_nofsync", 1],
      ]
    : [
        ["max_threads=1", "requests", 1],
        [`max_threads=${THREADS}`, "requests", THREADS],
      ];
const dir = await mkdtemp(join(tmpdir(), "sy-probe-threads-"));
const clickhouse = await createClickHouse({ kind: "embedded", path: join(dir, "ch") });
const client = clickhouse.client;
const chunk = probeChunks(BATCH);
async function insert(
  rows: PendingRow[],
  table: string,
  threads: number,
): Promise<{ ms: number; threads: Map<string, number> }> {
  const meter = threadMeter(process.pid);
  const started = performance.now();
  const result = await client.exec({
    query: `INSERT INTO ${table} (${rows[0]!.columns.join(", ")}) SETTINGS async_insert = 0, max_threads = ${threads} FORMAT JSONCompactEachRow`,
    values: Readable.from(rows.map((r) => r.line as Buffer)),
  });
  result.stream.resume();
  await finished(result.stream);
  const ms = performance.now() - started;
  return { ms, threads: new Map(meter.stop()) };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  await runMigrations(client);
  await client.command({ query: "SYSTEM STOP MERGES" });
  if (MODE === "fsync") {
    await client.command({ query: "CREATE TABLE requests_nofsync AS requests" });
    await client.command({
      query: "ALTER TABLE requests_nofsync MODIFY SETTING fsync_after_insert = 0, fsync_part_directory = 0",
    });
  }
  for (const [, table, threads] of ARMS) await insert(chunk(), table, threads);
  const walls: number[][] = [[], []];
  const libuv: number[][] = [[], []];
  const diff: number[] = [];
  for (let p = 0; p < PAIRS; p++) {
    const ms: number[] = [0, 0];
    for (const arm of p % 2 === 0 ? [0, 1] : [1, 0]) {
      const [, table, threads] = ARMS[arm]!;
      const got = await insert(chunk(), table, threads);
      ms[arm] = got.ms;
      walls[arm]!.push(got.ms);
      libuv[arm]!.push((got.threads.get("libuv-worker") ?? 0) / BATCH);
    }
    diff.push(ms[1]! - ms[0]!);
  }
  console.log(
    `insert of ${BATCH} rows, median wall: ${ARMS[0]![0]} ${median(walls[0]!).toFixed(0)} ms, ${ARMS[1]![0]} ${median(walls[1]!).toFixed(0)} ms, paired difference ${median(diff).toFixed(0)} ms; libuv-worker µs/row ${median(libuv[0]!).toFixed(1)} vs ${median(libuv[1]!).toFixed(1)}`,
  );
} finally {
  await clickhouse.close();
  await rm(dir, { recursive: true, force: true });
}
