import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { insertExactlyOnce, type PendingRow, packRows, storedEventIds } from "@switchyard/ingest/testing";
import { createClickHouse, runMigrations } from "@switchyard/platform";
import { probeRoute, probeRow } from "./probe-events.ts";
import { measureByThread } from "./probe-measure.ts";

/**
 * `node test/bench/probe-lookup.ts`: what the exactly-once insert's two statements cost per event, and
 * what insert-level settings change: plain inserts with and without skip-index materialisation, the dedup
 * lookup alone on fresh ranges, and lookup + insert as ingest runs them. PROBE_EVENTS, PROBE_BATCH.
 */
const EVENTS = Number(process.env.PROBE_EVENTS ?? 100_000);
const BATCH = Number(process.env.PROBE_BATCH ?? 10_000);
const dir = await mkdtemp(join(tmpdir(), "sy-probe-lookup-"));
const clickhouse = await createClickHouse({ kind: "embedded", path: join(dir, "ch") });
const client = clickhouse.client;
try {
  await runMigrations(client);
  await client.command({ query: "SYSTEM STOP MERGES" });
  const route = probeRoute();
  let base = Date.now() - 30 * 86_400_000;
  /** Fresh events (a new hour range each call), decoded and packed as the consumer loop does. */
  const chunks = (): PendingRow[][] => {
    base += 3_600_000;
    const out: PendingRow[][] = [];
    for (let i = 0; i < EVENTS; i += BATCH) {
      const rows: PendingRow[] = [];
      for (let j = i; j < Math.min(EVENTS, i + BATCH); j++) {
        rows.push(probeRow(route, j, EVENTS, base));
      }
      packRows(rows);
      out.push(rows);
    }
    return out;
  };
  const plain = (settings: string) => async (parts: PendingRow[][]) => {
    for (const part of parts) {
      const result = await client.exec({
        query: `INSERT INTO requests (${part[0]!.columns.join(", ")}) SETTINGS async_insert = 0${settings} FORMAT JSONCompactEachRow`,
        values: Readable.from(part.map((r) => r.line as Buffer)),
      });
      result.stream.resume();
      await finished(result.stream);
    }
  };
  for (let round = 0; round < Number(process.env.PROBE_ROUNDS ?? 2); round++) {
    let parts = chunks();
    await measureByThread("insert (plain)", EVENTS, () => plain("")(parts));
    // PROBE_SETTINGS: extra insert-clause settings to compare, `;`-separated (e.g. "max_threads = 2").
    for (const extra of (process.env.PROBE_SETTINGS ?? "materialize_skip_indexes_on_insert = 0").split(";")) {
      parts = chunks();
      await measureByThread(`insert, ${extra}`, EVENTS, () => plain(`, ${extra}`)(parts));
    }
    parts = chunks();
    await measureByThread("insertExactlyOnce (lookup + insert)", EVENTS, async () => {
      for (const part of parts) await insertExactlyOnce(client, "requests", part);
    });
    await measureByThread("insertExactlyOnce again (lookup, all stored)", EVENTS, async () => {
      for (const part of parts) await insertExactlyOnce(client, "requests", part);
    });
    // The lookup alone: range first (ingest's) against by ids only (rangeLimit -1: a LIMIT 0 query, then ids).
    const lookup = (chunksOf: PendingRow[][], limit?: number) => async () => {
      for (const part of chunksOf) await storedEventIds(client, "requests", part, limit);
    };
    const fresh = chunks();
    await measureByThread("lookup, fresh range: range first", EVENTS, lookup(fresh));
    await measureByThread("lookup, fresh range: by ids", EVENTS, lookup(fresh, -1));
    await measureByThread("lookup, all stored: range first", EVENTS, lookup(parts));
    await measureByThread("lookup, all stored: by ids", EVENTS, lookup(parts, -1));
  }
} finally {
  await clickhouse.close();
  await rm(dir, { recursive: true, force: true });
}
