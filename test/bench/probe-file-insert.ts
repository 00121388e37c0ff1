import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { bodyChunks, type PendingRow } from "@switchyard/ingest/testing";
import { createClickHouse, runMigrations } from "@switchyard/platform";
import { threadMeter } from "./cpu.ts";
import { probeChunks } from "./probe-events.ts";

/**
 * `node test/bench/probe-file-insert.ts`: what the insert body's format costs the engine, end to end of the
 * engine: PROBE_BATCH (10,000) rows sent as ingest sends them (JSONCompactEachRow inline) against
 * `INSERT … SELECT FROM file()` of the same rows as a JSONCompactEachRow, RowBinary or Native file (the
 * binary files written by the engine itself, so this is the engine's side only: producing the bytes in JS
 * would come on top; `infile_rowbinary`: the same RowBinary file through `INSERT … FROM INFILE`, which chdb reads
 * client-side). Targets: a Null-engine copy of `requests` (the parse alone) and a full copy. Paired
 * rounds, merges stopped; engine CPU per row by thread. A diagnosis tool; figures in ingest/README.md.
 */
const BATCH = Number(process.env.PROBE_BATCH ?? 10_000);
const ROUNDS = Number(process.env.PROBE_ROUNDS ?? 6);
const dir = await mkdtemp(join(tmpdir(), "sy-probe-file-"));
const clickhouse = await createClickHouse({ kind: "embedded", path: join(dir, "ch") });
const client = clickhouse.client;
const chunk = probeChunks(BATCH);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function measured(work: () => Promise<void>) {
  const meter = threadMeter(process.pid);
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const t = new Map(meter.stop());
  return { ms, libuv: (t.get("libuv-worker") ?? 0) / BATCH, pool: (t.get("ThreadPool") ?? 0) / BATCH };
}
try {
  await runMigrations(client);
  const targets = process.env.PROBE_TARGETS?.split(",") ?? ["null", "full"];
  await client.command({ query: "CREATE TABLE t_null AS requests ENGINE = Null" });
  await client.command({ query: "CREATE TABLE t_full AS requests" });
  await client.command({ query: "CREATE TABLE t_src AS requests" });
  for (const t of ["t_full", "t_src"]) await client.command({ query: `SYSTEM STOP MERGES ${t}` });
  const rows0 = chunk();
  const cols = rows0[0]!.columns.join(", ");
  const arms: Record<string, (rows: PendingRow[], table: string, round: number) => Promise<void>> = {
    inline_json: async (rows, table) => {
      const result = await client.exec({
        query: `INSERT INTO ${table} (${cols}) SETTINGS async_insert = 0 FORMAT JSONCompactEachRow`,
        values: Readable.from(bodyChunks(rows), { objectMode: false }),
      });
      result.stream.resume();
      await finished(result.stream);
    },
    file_json: (_, table, r) => fromFile(table, `${dir}/r${r}.json`, "JSONCompactEachRow"),
    file_json_auto: (_, table, r) =>
      client
        .command({
          query: `INSERT INTO ${table} (${cols}) SELECT * FROM file('${dir}/r${r}.json', JSONCompactEachRow) SETTINGS async_insert = 0`,
        })
        .then(() => undefined),
    file_json_serial: (_, table, r) =>
      client
        .command({
          query: `INSERT INTO ${table} (${cols}) SELECT * FROM file('${dir}/r${r}.json', JSONCompactEachRow) SETTINGS input_format_parallel_parsing = 0`,
        })
        .then(() => undefined),
    file_json_2threads: (_, table, r) =>
      client
        .command({
          query: `INSERT INTO ${table} (${cols}) SELECT * FROM file('${dir}/r${r}.json', JSONCompactEachRow) SETTINGS max_threads = 2, max_insert_threads = 1, min_chunk_bytes_for_parallel_parsing = 1048576, min_insert_block_size_rows = 1000000000000, min_insert_block_size_bytes = 1000000000000000`,
        })
        .then(() => undefined),
    file_rowbinary: (_, table, r) => fromFile(table, `${dir}/r${r}.rowbinary`, "RowBinary"),
    file_native: (_, table, r) => fromFile(table, `${dir}/r${r}.native`, "Native"),
    // The client-side form: chdb (clickhouse-local) reads the file itself into the insert, no file() table function.
    infile_rowbinary: (_, table, r) =>
      client
        .command({ query: `INSERT INTO ${table} (${cols}) FROM INFILE '${dir}/r${r}.rowbinary' FORMAT RowBinary` })
        .then(() => undefined),
  };
  const structure = await (
    await client.query({
      query: `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'requests' AND name IN (${rows0[0]!.columns.map((c) => `'${c}'`).join(",")}) ORDER BY position`,
      format: "JSONEachRow",
    })
  ).json<{ name: string; type: string }>();
  const byName = new Map(structure.map((c) => [c.name, c.type]));
  const structureSql = rows0[0]!.columns.map((c) => `${c} ${byName.get(c)}`).join(", ");
  async function fromFile(table: string, path: string, format: string) {
    await client.command({
      query: `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM file('${path}', ${format}, '${structureSql.replaceAll("'", "\\'")}') SETTINGS async_insert = 0`,
    });
  }
  const inlineJson = arms.inline_json!;
  const only = process.env.PROBE_ARMS?.split(",");
  if (only) for (const name of Object.keys(arms)) if (!only.includes(name)) delete arms[name];
  const results = new Map<string, { libuv: number[]; pool: number[]; ms: number[] }>();
  for (let r = -1; r < ROUNDS; r++) {
    const rows = r < 0 ? rows0 : chunk();
    // The round's files: JSON as ingest would send it; the binary ones written by the engine from the same rows.
    await writeFile(`${dir}/r${r}.json`, Buffer.concat(bodyChunks(rows)));
    await client.command({ query: "TRUNCATE TABLE t_src" });
    await inlineJson(rows, "t_src", r);
    for (const [ext, format] of [
      ["rowbinary", "RowBinary"],
      ["native", "Native"],
    ])
      await client.command({
        query: `INSERT INTO FUNCTION file('${dir}/r${r}.${ext}', ${format}) SELECT ${cols} FROM t_src`,
      });
    const names = Object.keys(arms);
    for (const target of targets)
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + r + 1) % names.length]!;
        const got = await measured(() => arms[name]!(rows, `t_${target}`, r));
        if (r < 0) continue;
        const key = `${target} ${name}`;
        const acc = results.get(key) ?? { libuv: [], pool: [], ms: [] };
        acc.libuv.push(got.libuv);
        acc.pool.push(got.pool);
        acc.ms.push(got.ms);
        results.set(key, acc);
      }
  }
  if (process.env.PROBE_CHECK) {
    for (const name of Object.keys(arms)) {
      await client.command({ query: `CREATE TABLE c_${name} AS requests` });
      await arms[name]!(rows0, `c_${name}`, -1);
      const sum = await client.query({
        query: `SELECT * EXCEPT ingested_at FROM c_${name} ORDER BY event_id`,
        format: "JSONCompactEachRow",
      });
      const text = await sum.text();
      const parts = await client.query({
        query: `SELECT count() p FROM system.parts WHERE active AND table = 'c_${name}'`,
        format: "JSONEachRow",
      });
      const { createHash } = await import("node:crypto");
      console.log(name, text.length, createHash("sha1").update(text).digest("hex"), await parts.json());
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const [key, acc] of results)
    console.log(
      `${key.padEnd(22)} libuv-worker ${mean(acc.libuv).toFixed(1)}  ThreadPool ${mean(acc.pool).toFixed(1)}  sum ${(mean(acc.libuv) + mean(acc.pool)).toFixed(1)} µs/row  wall median ${median(acc.ms).toFixed(0)} ms`,
    );
} finally {
  await clickhouse.close();
  await rm(dir, { recursive: true, force: true });
}
