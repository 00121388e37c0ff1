import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { bodyChunks, type PendingRow } from "@switchyard/ingest/testing";
import { createClickHouse, runMigrations } from "@switchyard/platform";
import { threadMeter } from "./cpu.ts";
import { probeChunks } from "./probe-events.ts";

/**
 * `node test/bench/probe-table-settings.ts [arm,…]`: paired CPU of ingest's 10,000-row insert (PROBE_BATCH)
 * into scratch copies of `requests` (CREATE TABLE … AS requests) that differ by table settings (ALTER …
 * MODIFY SETTING) or by the INSERT's own SETTINGS clause, PROBE_ROUNDS (8) rounds, every arm once per round
 * in rotated order, merges stopped, the body sent as ingest sends it. Prints per arm the engine's CPU per row
 * by thread (libuv-worker = chdb's statement thread, the serial path) summed over the rounds, the wall median,
 * and the paired median difference against the first arm. A diagnosis tool; figures in ingest/README.md.
 */
const BATCH = Number(process.env.PROBE_BATCH ?? 10_000);
const ROUNDS = Number(process.env.PROBE_ROUNDS ?? 8);
interface Arm {
  table?: string;
  insert?: string;
  /** The scratch table's CREATE (`T` for its name) instead of `CREATE TABLE T AS requests`. */
  create?: string;
  /** Statements run on the scratch table (`T`) after it is created. */
  alter?: string[];
}
const ARMS: Record<string, Arm> = {
  base: {},
  nostats: { table: "auto_statistics_types = ''" },
  nosparse: { table: "ratio_of_defaults_for_sparse_serialization = 1" },
  nostats_nosparse: { table: "auto_statistics_types = '', ratio_of_defaults_for_sparse_serialization = 1" },
  plainmarks: { table: "compress_marks = 0, compress_primary_key = 0" },
  wide: { table: "min_bytes_for_wide_part = 0" },
  noskipidx: { insert: "materialize_skip_indexes_on_insert = 0" },
  noparallel: { insert: "input_format_parallel_parsing = 0" },
  lz4bodies: {
    alter: ["body_request", "body_response", "bodies_captured", "bodies_truncated"].map(
      (c) => `ALTER TABLE T MODIFY COLUMN ${c} CODEC(LZ4)`,
    ),
  },
  nocompile: { insert: "compile_expressions = 0, compile_aggregate_expressions = 0, compile_sort_description = 0" },
  blocks64k: { table: "max_compress_block_size = 65536, min_compress_block_size = 65536" },
  blocks64k_q: { insert: "max_compress_block_size = 65536, min_compress_block_size = 65536" },
  lean: {
    table: "max_compress_block_size = 65536, min_compress_block_size = 65536",
    insert: "compile_expressions = 0, compile_aggregate_expressions = 0, compile_sort_description = 0",
  },
  lean_serial: {
    table: "max_compress_block_size = 65536, min_compress_block_size = 65536",
    insert:
      "compile_expressions = 0, compile_aggregate_expressions = 0, compile_sort_description = 0, input_format_parallel_parsing = 0",
  },
  null: { create: "CREATE TABLE T AS requests ENGINE = Null" },
  bare: {
    alter: [
      ...["trace_keys", "otel_trace_keys", "rollup_hourly", "rollup_daily", "rollup_daily_users"].map(
        (p) => `ALTER TABLE T DROP PROJECTION ${p}`,
      ),
      ...[
        "idx_event_id",
        "idx_source_offset",
        "idx_user",
        "idx_api_key",
        "idx_prompt",
        "idx_metadata_keys",
        "idx_metadata_values",
      ].map((i) => `ALTER TABLE T DROP INDEX ${i}`),
    ],
  },
  notrace: { alter: ["ALTER TABLE T DROP PROJECTION otel_trace_keys"] },
};
const picked = (process.argv[2] ?? "base,nostats,nosparse,nostats_nosparse").split(",");
const dir = await mkdtemp(join(tmpdir(), "sy-probe-settings-"));
const clickhouse = await createClickHouse({ kind: "embedded", path: join(dir, "ch") });
const client = clickhouse.client;
const chunk = probeChunks(BATCH);
async function insert(rows: PendingRow[], table: string, arm: Arm) {
  const meter = threadMeter(process.pid);
  const started = performance.now();
  const settings = ["async_insert = 0", ...(arm.insert ? [arm.insert] : [])].join(", ");
  const result = await client.exec({
    query: `INSERT INTO ${table} (${rows[0]!.columns.join(", ")}) SETTINGS ${settings} FORMAT JSONCompactEachRow`,
    values: Readable.from(bodyChunks(rows), { objectMode: false }),
  });
  result.stream.resume();
  await finished(result.stream);
  return { ms: performance.now() - started, threads: meter.stop() };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  await runMigrations(client);
  await client.command({ query: "SYSTEM STOP MERGES" });
  for (const name of picked) {
    const arm = ARMS[name]!;
    await client.command({ query: (arm.create ?? "CREATE TABLE T AS requests").replace(" T ", ` t_${name} `) });
    if (arm.table) await client.command({ query: `ALTER TABLE t_${name} MODIFY SETTING ${arm.table}` });
    for (const s of arm.alter ?? []) await client.command({ query: s.replace(" T ", ` t_${name} `) });
    if (!arm.create?.includes("Null")) await client.command({ query: `SYSTEM STOP MERGES t_${name}` });
    await insert(chunk(), `t_${name}`, arm); // warm-up
  }
  const cpu = new Map(picked.map((n) => [n, new Map<string, number>()]));
  const walls = new Map(picked.map((n) => [n, [] as number[]]));
  const engine = new Map(picked.map((n) => [n, [] as number[]]));
  for (let r = 0; r < ROUNDS; r++) {
    const rows = chunk();
    const order = picked.map((_, i) => picked[(i + r) % picked.length]!);
    for (const name of order) {
      const got = await insert(rows, `t_${name}`, ARMS[name]!);
      walls.get(name)!.push(got.ms);
      let eng = 0;
      for (const [thread, us] of got.threads) {
        const m = cpu.get(name)!;
        m.set(thread, (m.get(thread) ?? 0) + us);
        if (thread !== "MainThread" && thread !== "V8Worker") eng += us;
      }
      engine.get(name)!.push(eng / BATCH);
    }
  }
  const baseEngine = engine.get(picked[0]!)!;
  for (const name of picked) {
    const m = cpu.get(name)!;
    const per = (t: string) => ((m.get(t) ?? 0) / (ROUNDS * BATCH)).toFixed(1);
    const eng = engine.get(name)!;
    const diffs = eng.map((e, i) => e - baseEngine[i]!);
    console.log(
      [...m]
        .sort((a, b) => b[1] - a[1])
        .map(([t, us]) => `${t} ${(us / (ROUNDS * BATCH)).toFixed(1)}`)
        .join(", "),
    );
    console.log(
      `${name.padEnd(18)} engine ${(eng.reduce((a, b) => a + b, 0) / ROUNDS).toFixed(1)} µs/row (paired median vs ${picked[0]} ${median(diffs).toFixed(1)})  libuv-worker ${per("libuv-worker")}  ThreadPool ${per("ThreadPool")}  wall median ${median(walls.get(name)!).toFixed(0)} ms`,
    );
  }
} finally {
  await clickhouse.close();
  await rm(dir, { recursive: true, force: true });
}
