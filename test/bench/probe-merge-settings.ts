import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { bodyChunks } from "@switchyard/ingest/testing";
import { createClickHouse, runMigrations } from "@switchyard/platform";
import { threadMeter } from "./cpu.ts";
import { probeChunks } from "./probe-events.ts";

/**
 * `node test/bench/probe-merge-settings.ts`: what table settings do to the merges ingest's inserts cause and
 * to reading fresh data. Per arm a scratch copy of `requests` (ALTER … MODIFY SETTING) gets PROBE_PARTS (6)
 * inserts of PROBE_BATCH (10,000) rows with merges stopped, then one `OPTIMIZE … FINAL` (all parts into one,
 * as background merges would, in steps) and two reads (a breakdown over the rows, a log page); engine CPU
 * per row by thread for each step, PROBE_ROUNDS (2) rounds in rotated order. A diagnosis tool.
 */
const BATCH = Number(process.env.PROBE_BATCH ?? 10_000);
const PARTS = Number(process.env.PROBE_PARTS ?? 6);
const ROUNDS = Number(process.env.PROBE_ROUNDS ?? 2);
const READS = Number(process.env.PROBE_READS ?? 5);
const ARMS: Record<string, string> = {
  base: "",
  compact256m: "min_bytes_for_wide_part = 268435456",
  nostats: "auto_statistics_types = ''",
  plainmarks: "compress_marks = 0, compress_primary_key = 0",
  // Wide parts (as a big store's merged parts are), with the default and with 16 KiB compression blocks.
  wide: "min_bytes_for_wide_part = 0",
  wide16k: "min_bytes_for_wide_part = 0, max_compress_block_size = 16384, min_compress_block_size = 4096",
};
const picked = (process.argv[2] ?? "base,compact256m").split(",");
const dir = await mkdtemp(join(tmpdir(), "sy-probe-merge-"));
const clickhouse = await createClickHouse({ kind: "embedded", path: join(dir, "ch") });
const client = clickhouse.client;
const nextChunk = probeChunks(BATCH);
const chunks: Buffer[][] = [];
let columns = "";
for (let p = 0; p < PARTS; p++) {
  const rows = nextChunk();
  chunks.push(bodyChunks(rows));
  columns = rows[0]!.columns.join(", ");
}
async function step(work: () => Promise<unknown>, per: number) {
  const meter = threadMeter(process.pid);
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const t = meter.stop().filter(([n, us]) => us > 0 && n !== "MainThread" && n !== "V8Worker");
  return `${t.reduce((s, [, us]) => s + us, 0) / per > 0 ? (t.reduce((s, [, us]) => s + us, 0) / per).toFixed(2) : "0"} µs/row ${ms.toFixed(0)} ms [${t.map(([n, us]) => `${n} ${(us / per).toFixed(2)}`).join(", ")}]`;
}
try {
  await runMigrations(client);
  for (let r = 0; r < ROUNDS; r++)
    for (let i = 0; i < picked.length; i++) {
      const name = picked[(i + r) % picked.length]!;
      const table = `t_${name}_${r}`;
      await client.command({ query: `CREATE TABLE ${table} AS requests` });
      if (ARMS[name]) await client.command({ query: `ALTER TABLE ${table} MODIFY SETTING ${ARMS[name]}` });
      await client.command({ query: `SYSTEM STOP MERGES ${table}` });
      const insert = await step(async () => {
        for (const body of chunks) {
          const result = await client.exec({
            query: `INSERT INTO ${table} (${columns}) SETTINGS async_insert = 0 FORMAT JSONCompactEachRow`,
            values: Readable.from(body, { objectMode: false }),
          });
          result.stream.resume();
          await finished(result.stream);
        }
      }, PARTS * BATCH);
      const read = (query: string) => async () => (await client.query({ query, format: "JSONEachRow" })).json();
      // Each read READS times: the figures are per run (CPU summed over the runs / READS, wall of all runs).
      const times = (work: () => Promise<unknown>) => async () => {
        for (let k = 0; k < READS; k++) await work();
      };
      const breakdown = read(
        `SELECT model, count(), sum(cost_nano_usd), quantile(0.9)(latency_ms) FROM ${table} WHERE tenant_id = 'tenant-1' GROUP BY model`,
      );
      const trace = read(`SELECT * FROM ${table} WHERE trace_id = 'trace-none' AND tenant_id = 'tenant-1'`);
      const page = read(
        `SELECT * FROM ${table} WHERE tenant_id = 'tenant-1' AND status_code = 200 ORDER BY occurred_at DESC LIMIT 50`,
      );
      const reads = async () =>
        `breakdown ${await step(times(breakdown), READS * PARTS * BATCH)} | log page ${await step(times(page), READS * 50)} | trace ${await step(times(trace), READS)}`;
      const readsBefore = await reads();
      await client.command({ query: `SYSTEM START MERGES ${table}` });
      const merge = await step(() => client.command({ query: `OPTIMIZE TABLE ${table} FINAL` }), PARTS * BATCH);
      const parts = await read(
        `SELECT part_type, count() n FROM system.parts WHERE active AND table = '${table}' GROUP BY part_type`,
      )();
      const readsAfter = await reads();
      console.log(`${name} round ${r}\n  insert ${insert}\n  merge  ${merge} → ${JSON.stringify(parts)}`);
      console.log(
        `  reads before merge (breakdown | log page per row shown) ${readsBefore}\n  reads after merge ${readsAfter}`,
      );
    }
} finally {
  await clickhouse.close();
  await rm(dir, { recursive: true, force: true });
}
