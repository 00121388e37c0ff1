import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { ClickHouseClient } from "@clickhouse/client";
import { bodyChunks, type PendingRow } from "../rows/pending-row.ts";
import { bodyFileDir, insertThroughFile } from "./body-file.ts";

/** Tables ingest writes; each carries event_id, occurred_at, tenant_id and the source coordinates. */
export type IngestTable = "requests" | "feedback" | "limit_alerts";

export interface InsertOutcome {
  inserted: number;
  /** Rows dropped because the same event was already stored or appeared twice in the batch. */
  duplicates: number;
}

/** Keeps the first row per event_id: a redelivered offset and a producer retry both repeat the event_id. */
function uniqueByEventId(rows: readonly PendingRow[]): PendingRow[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    if (seen.has(row.eventId)) return false;
    seen.add(row.eventId);
    return true;
  });
}

/**
 * Most stored events of a chunk's range that the lookup's first query reads whole. A backlog's chunks
 * cover time ranges of their own (the next chunk's range barely overlaps the last one's), so the range
 * usually holds none or a few stored events, and the chunk's 10,000 ids are never sent.
 */
export const RANGE_LOOKUP_LIMIT = 1_000;

/**
 * event_ids of `rows` already in `table`. A duplicate is the same event, so it has the same occurred_at
 * and tenant_id: bounding the lookup by the batch's own time range and tenants is exact (no "recent
 * window" that an old spool replay could fall outside of) and lets ClickHouse prune by partition and
 * sort key (the hour bounds are spelled out: ClickHouse does not derive the sort key's toStartOfHour
 * range from an occurred_at range). Two steps, both exact:
 * 1. every stored event_id of that range, when there are at most `rangeLimit`: a duplicate of the chunk
 *    is among them (the caller tests its rows against the set). No ids to send, parse and hash: what a
 *    backlog of new events meets.
 * 2. more than that (e.g. a spool replay into a busy hour): the range AND the chunk's own ids, as the
 *    event_id bloom filter lets ClickHouse skip granules.
 */
export async function storedEventIds(
  client: ClickHouseClient,
  table: IngestTable,
  rows: readonly PendingRow[],
  rangeLimit = RANGE_LOOKUP_LIMIT,
): Promise<Set<string>> {
  let from = rows[0]!.occurredAt;
  let to = from;
  const tenants = new Set<string>();
  for (const row of rows) {
    if (row.occurredAt < from) from = row.occurredAt;
    if (row.occurredAt > to) to = row.occurredAt;
    tenants.add(row.tenantId);
  }
  // `table` is one of IngestTable's literals, never input.
  // The alias must not be `event_id`: ClickHouse would resolve the WHERE's event_id to the alias.
  const range = `FROM ${table}
      WHERE tenant_id IN {tenants:Array(String)}
        AND toStartOfHour(occurred_at) >= toStartOfHour({from:DateTime64(3, 'UTC')})
        AND toStartOfHour(occurred_at) <= toStartOfHour({to:DateTime64(3, 'UTC')})
        AND occurred_at >= {from:DateTime64(3, 'UTC')} AND occurred_at <= {to:DateTime64(3, 'UTC')}`;
  const params = { from, to, tenants: [...tenants] };
  // One column of ids: the compact format is a plain JSON array per row, cheap on both sides.
  const ids = async (query: string, query_params: Record<string, unknown>) => {
    const result = await client.query({ query, query_params, format: "JSONCompactEachRow" });
    return (await result.json<[string]>()).map((r) => r[0]);
  };
  const inRange = await ids(`SELECT toString(event_id) AS stored_id ${range} LIMIT ${rangeLimit + 1}`, params);
  if (inRange.length <= rangeLimit) return new Set(inRange);
  const stored = await ids(
    `SELECT DISTINCT toString(event_id) AS stored_id ${range} AND event_id IN {ids:Array(UUID)}`,
    {
      ...params,
      ids: rows.map((r) => r.eventId),
    },
  );
  return new Set(stored);
}

/** Groups rows by month, the table's partition key, so each INSERT writes exactly one part. */
function byMonth(rows: PendingRow[]): PendingRow[][] {
  const groups = new Map<string, PendingRow[]>();
  for (const row of rows) {
    const month = row.occurredAt.slice(0, 7);
    const group = groups.get(month);
    if (group) group.push(row);
    else groups.set(month, [row]);
  }
  return [...groups.values()];
}

/**
 * Inserts the rows that are not stored yet. Exactly-once *effect* over an at-least-once bus:
 * - Check-then-insert must not race itself: callers never run two calls on one table whose rows share an
 *   event_id at once (BatchWriter drops from a flush the ids a flush still running holds).
 * - Each INSERT is one part holding the rows and their projections (rollup, trace index) atomically.
 *   A crash leaves a part either committed or discarded; redelivered rows of a committed part are found
 *   by the check and dropped, the rest are inserted. Partial progress is therefore repaired, never doubled.
 */
export async function insertExactlyOnce(
  client: ClickHouseClient,
  table: IngestTable,
  rows: readonly PendingRow[],
  /** Whose body directory (bodyFileDir) to use: extra sessions of one engine share the first's. */
  files: ClickHouseClient = client,
): Promise<InsertOutcome> {
  if (rows.length === 0) return { inserted: 0, duplicates: 0 };
  const unique = uniqueByEventId(rows);
  const stored = await storedEventIds(client, table, unique);
  const fresh = stored.size === 0 ? unique : unique.filter((r) => !stored.has(r.eventId));
  // Embedded engine: the same bytes through a file, which the engine parses for less (body-file.ts).
  const fileDir = fresh.length > 0 ? await bodyFileDir(files) : null;
  for (const part of byMonth(fresh)) {
    // The body: the rows' bytes in their mapper's format (requests: RowBinary, written when decoded into
    // shared slabs; feedback and alerts: JSONCompactEachRow lines packed by packRows), as the ranges they
    // sit in, usually one per decode slice, so nothing is joined or encoded here while the engine waits.
    // Every row of a table comes from the same mapper, so they share one column list and format.
    const chunks = bodyChunks(part);
    const columns = part[0]!.columns;
    const format = part[0]!.format ?? "JSONCompactEachRow";
    if (fileDir !== null) {
      await insertThroughFile(client, fileDir, table, columns, chunks, format);
      continue;
    }
    // Inline (a ClickHouse server over HTTP). chdb 3.4's inline raw insert cannot read binary formats
    // (probe-binary-format.ts), so an embedded engine always takes the file path: ingest does not start
    // without it (ingest.ts). exec, not insert(): insert() wants JSON rows as objects to encode itself.
    // `table` is one of IngestTable's literals and `columns` are the mapper's own keys, never input.
    // An async insert would return before the part exists; the bus offset is committed right after this.
    // The setting is a clause of the INSERT itself: passed as clickhouse_settings, chdb prepends a `SET`
    // statement, and that two-statement query took ~1.5x the CPU of the insert alone.
    const result = await client.exec({
      query: `INSERT INTO ${table} (${columns.join(", ")}) SETTINGS async_insert = 0 FORMAT ${format}`,
      values: Readable.from(chunks, { objectMode: false }),
    });
    result.stream.resume();
    await finished(result.stream);
  }
  return { inserted: fresh.length, duplicates: rows.length - fresh.length };
}
