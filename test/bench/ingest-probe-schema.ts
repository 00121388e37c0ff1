import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClickHouse, runMigrations } from "@switchyard/platform";
import { probeRows } from "./probe-events.ts";
import { measureByThread } from "./probe-measure.ts";

/**
 * `node test/bench/ingest-probe-schema.ts`: what the `requests` schema costs an insert. Scratch copies of
 * the table (CREATE TABLE … AS requests) with parts of it dropped — projections, skip indexes, fsync —
 * each get the same rows in inserts of PROBE_BATCH (1,000) rows, merges stopped; CPU per event by thread.
 * PROBE_ONLY=bare,full,… picks cases. A diagnosis tool: its figures are in ingest/README.md (Throughput).
 */
const EVENTS = Number(process.env.PROBE_EVENTS ?? 20_000);
const BATCH = Number(process.env.PROBE_BATCH ?? 1_000);
const dir = await mkdtemp(join(tmpdir(), "sy-probe-schema-"));
const ch = await createClickHouse({ kind: "embedded", path: join(dir, "ch") });
const client = ch.client;
const q = async <T>(query: string) => (await client.query({ query, format: "JSONEachRow" })).json<T>();
try {
  await runMigrations(client);
  const rows = probeRows(EVENTS, Date.now());
  const cols = rows[0]!.columns.join(", ");
  const projections = await q<{ name: string; query: string }>(
    "SELECT name, query FROM system.projections WHERE database = currentDatabase() AND table = 'requests'",
  );
  const indexes = await q<{ name: string }>(
    "SELECT name FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = 'requests'",
  );
  console.log("projections", projections.map((p) => p.name).join(","), "indexes", indexes.map((i) => i.name).join(","));
  async function variant(
    name: string,
    keepProj: (n: string) => boolean,
    keepIdx: (n: string) => boolean,
    settings = "",
  ) {
    await client.command({ query: `CREATE TABLE ${name} AS requests` });
    for (const p of projections)
      if (!keepProj(p.name)) await client.command({ query: `ALTER TABLE ${name} DROP PROJECTION ${p.name}` });
    for (const i of indexes)
      if (!keepIdx(i.name)) await client.command({ query: `ALTER TABLE ${name} DROP INDEX ${i.name}` });
    if (settings) await client.command({ query: `ALTER TABLE ${name} MODIFY SETTING ${settings}` });
    await client.command({ query: `SYSTEM STOP MERGES ${name}` });
    await measureByThread(`${name}`, EVENTS, async () => {
      for (let i = 0; i < rows.length; i += BATCH) {
        const body = rows
          .slice(i, i + BATCH)
          .map((r) => r.line)
          .join("\n");
        await client.command({
          query: `INSERT INTO ${name} (${cols}) SETTINGS async_insert = 0 FORMAT JSONCompactEachRow\n${body}`,
        });
      }
    });
  }
  const none = () => false,
    all = () => true;
  const only = (variants: string[]) =>
    process.env.PROBE_ONLY ? variants.filter((v) => process.env.PROBE_ONLY!.split(",").includes(v)) : variants;
  const cases: Record<string, () => Promise<void>> = {
    bare: () => variant("bare", none, none),
    bare_nofsync: () => variant("bare_nofsync", none, none, "fsync_after_insert = 0, fsync_part_directory = 0"),
    idx: () => variant("idx", none, all),
    trace: () => variant("trace", (n) => n.includes("trace"), none),
    rollups: () => variant("rollups", (n) => n.startsWith("rollup"), none),
    rollup_hourly: () => variant("rollup_hourly", (n) => n === "rollup_hourly", none),
    full: () => variant("full", all, all),
    full_nofsync: () => variant("full_nofsync", all, all, "fsync_after_insert = 0, fsync_part_directory = 0"),
  };
  for (const name of only(Object.keys(cases))) await cases[name]!();
} finally {
  await ch.close();
  await rm(dir, { recursive: true, force: true });
}
