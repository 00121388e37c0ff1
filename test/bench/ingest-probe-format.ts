import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@clickhouse/client";
import { runMigrations } from "@switchyard/platform";
import { createChdbConnection } from "chdb/connection";
import { probeRows } from "./probe-events.ts";
import { measureByThread } from "./probe-measure.ts";

/**
 * `node test/bench/ingest-probe-format.ts`: the engine's cost of one insert body by transport and format,
 * chdb on this thread (no worker): SQL text with the body inline vs chdb's raw insert of bytes, and
 * JSONCompactEachRow vs TSV (written by the engine itself from the same rows), with and without parallel
 * parsing. PROBE_TABLE names a scratch copy without projections instead of `requests`. A diagnosis tool.
 */
const EVENTS = Number(process.env.PROBE_EVENTS ?? 50_000);
const BATCH = Number(process.env.PROBE_BATCH ?? 10_000);
const dir = await mkdtemp(join(tmpdir(), "sy-probe-format-"));
const conn = createChdbConnection({ path: join(dir, "ch") });
const client = createClient({ connection: conn as never });
try {
  await client.command({ query: "CREATE DATABASE IF NOT EXISTS s" });
  await client.command({ query: "USE s" });
  await runMigrations(client);
  await client.command({ query: "SYSTEM STOP MERGES" });
  const rows = probeRows(EVENTS, Date.now());
  const columns = [...rows[0]!.columns];
  const cols = columns.join(", ");
  const jsonBodies: Buffer[] = [];
  for (let i = 0; i < rows.length; i += BATCH)
    jsonBodies.push(
      Buffer.from(
        rows
          .slice(i, i + BATCH)
          .map((r) => `${r.line}\n`)
          .join(""),
      ),
    );
  const table = process.env.PROBE_TABLE ?? "requests";
  if (table !== "requests") {
    await client.command({ query: `CREATE TABLE ${table} AS requests` });
    for (const p of await (
      await client.query({ query: `SELECT name FROM system.projections WHERE table='${table}'`, format: "JSONEachRow" })
    ).json<{ name: string }>())
      await client.command({ query: `ALTER TABLE ${table} DROP PROJECTION ${p.name}` });
  }
  const ext = (conn as unknown as { chdb: { rawInsert(p: unknown): Promise<unknown> } }).chdb;
  const raw = (format: string, bodies: Buffer[], settings?: Record<string, number>) => async () => {
    for (const values of bodies)
      await ext.rawInsert({ table, columns, values, format, settings: { async_insert: 0, ...settings } });
  };
  await measureByThread("inline string, JSONCompactEachRow", EVENTS, async () => {
    for (const b of jsonBodies)
      await client.command({
        query: `INSERT INTO ${table} (${cols}) SETTINGS async_insert = 0 FORMAT JSONCompactEachRow\n${b.toString()}`,
      });
  });
  await measureByThread("raw Buffer, JSONCompactEachRow", EVENTS, raw("JSONCompactEachRow", jsonBodies));
  await measureByThread(
    "raw Buffer, JSONCompactEachRow, no par. parse",
    EVENTS,
    raw("JSONCompactEachRow", jsonBodies, { input_format_parallel_parsing: 0 }),
  );
  // The same rows in TSV, written by the engine itself.
  const tsv: Buffer[] = [];
  for (let i = 0; i < EVENTS; i += BATCH) {
    const r = await client.query({
      query: `SELECT ${cols} FROM ${table} WHERE source_offset >= ${i} AND source_offset < ${i + BATCH} LIMIT 1 BY event_id`,
      format: "TabSeparated",
    });
    tsv.push(Buffer.from(await r.text()));
  }
  console.log("bytes/row json", (jsonBodies[0]!.length / BATCH).toFixed(0), "tsv", (tsv[0]!.length / BATCH).toFixed(0));
  await measureByThread("raw Buffer, TSV", EVENTS, raw("TabSeparated", tsv));
  await measureByThread(
    "raw Buffer, TSV, no par. parse",
    EVENTS,
    raw("TabSeparated", tsv, { input_format_parallel_parsing: 0 }),
  );
  await measureByThread("raw Buffer, JSONCompactEachRow (again)", EVENTS, raw("JSONCompactEachRow", jsonBodies));
} finally {
  await client.close();
  await rm(dir, { recursive: true, force: true });
}
