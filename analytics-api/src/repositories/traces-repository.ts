import type { ClickHouseClient } from "@clickhouse/client";
import { TRACE_ID_HEX } from "@switchyard/events";
import { READ_QUERY_SETTINGS } from "./query-limits.ts";
import { fromRecordJson, RECORD_JSON_COLUMN, REQUEST_BODY_COLUMNS, type RequestRecord } from "./request-record.ts";

/** A trace is small; the cap only protects the API from a pathological trace id shared by many requests. */
const MAX_REQUESTS_PER_TRACE = 1_000;

/**
 * Each request's record as one column (migration 011) and its prompt and answer (bodies), as the request detail
 * shows them. Reading the record's ~55 columns instead costs ~150 column streams at ~90 µs of engine CPU each
 * (10M rows: ~17 against ~7.5 ms of engine CPU a lookup, analytics-trace-probe.ts `columnsIndex` against `index`).
 */
const TRACE_COLUMNS = `${RECORD_JSON_COLUMN}, ${REQUEST_BODY_COLUMNS}`;

/**
 * The sort keys of the trace's rows (tenant, hour, time, id). Each branch filters on exactly one of the two
 * columns that have a key projection (trace_keys, otel_trace_keys) and reads only columns that projection
 * holds, so ClickHouse reads the projection at the trace id's granule instead of scanning. An OR across both
 * columns could use neither. A row matching both branches is one element of the IN set below.
 *
 * Each branch caps as the statement does (orderAndCap): unordered, the cap plus one key, so a trace over the cap
 * is seen to be over it even when one column holds all of it; ordered, its own oldest keys up to the cap, so the
 * statement's oldest rows are among the two branches' keys.
 */
export function traceKeysSql(tenantScoped: boolean, ordered = false): string {
  const tenant = tenantScoped ? "AND tenant_id IN {tenant_ids:Array(String)}" : "";
  const branch = (column: string) => `SELECT tenant_id, toStartOfHour(occurred_at), occurred_at, event_id FROM requests
      WHERE ${column} = {trace_id:String} ${tenant} ${orderAndCap(ordered)}`;
  return `${branch("trace_id")}\n    UNION ALL\n    ${branch("otel_trace_id")}`;
}

/**
 * How a statement orders and caps the trace's rows. Ordered: oldest first, at most the cap, the answer as served.
 * Unordered: the cap plus one row in any order, which the repository sorts itself (byTimeThenId): ordering in the
 * engine reads occurred_at and event_id, two column streams more, and sorts (10M rows: ~1.3 of ~7.5 ms of engine
 * CPU a lookup). A row over the cap says the trace is larger; only then is the ordered statement run.
 */
function orderAndCap(ordered: boolean): string {
  return ordered
    ? `ORDER BY occurred_at ASC, event_id ASC\n  LIMIT ${MAX_REQUESTS_PER_TRACE}`
    : `LIMIT ${MAX_REQUESTS_PER_TRACE + 1}`;
}

/** Oldest first; within one millisecond by event id as the engine orders UUIDs (their last 64 bits first). */
export function byTimeThenId(a: RequestRecord, b: RequestRecord): number {
  if (a.occurred_at !== b.occurred_at) return a.occurred_at < b.occurred_at ? -1 : 1;
  const key = (id: string) => {
    const hex = id.replaceAll("-", "");
    return hex.slice(16) + hex.slice(0, 16);
  };
  const [x, y] = [key(a.event_id), key(b.event_id)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The trace's rows by either id column, for an id shaped like an OpenTelemetry trace id and on an engine without
 * projection indexes (the 25.8 server; see traceIndexSql for the rest): the keys above as an IN set
 * over the whole primary key, which ClickHouse builds first and then uses to seek the table's granules (the
 * tenant, hour and time are spelled out because the key holds toStartOfHour). One statement, not two: a second
 * round trip through the engine's queue and the keys' JSON cost about as much as the seek itself.
 */
export function traceSql(tenantScoped: boolean, ordered = true): string {
  return `SELECT ${TRACE_COLUMNS} FROM requests
  WHERE (tenant_id, toStartOfHour(occurred_at), occurred_at, event_id) IN (${traceKeysSql(tenantScoped, ordered)})
  ${orderAndCap(ordered)}
  SETTINGS ${READ_QUERY_SETTINGS}`;
}

/**
 * The trace's rows through the trace_keys projection as a projection index (migration 008 gave it `_part_offset`):
 * a plain `WHERE trace_id = …` makes the engine read the projection at the id's granule and then only the table
 * rows at those offsets; no IN set is built and no primary-key analysis runs over it (10M rows: ~18 instead of
 * ~23 ms of engine CPU, analytics-trace-probe.ts). The engine applies a projection index only to reads it
 * estimates at 1M table rows or more (min_table_rows_to_use_projection_index); 0 makes a small store seek the
 * same way.
 *
 * Only for ids that cannot be OpenTelemetry trace ids (W3C: 32 hex digits; a gateway trace id is a UUID by
 * default): otel_trace_id holds nothing else, so its branch is skipped. A W3C-shaped id takes traceSql: the same
 * statement over both columns as a UNION ALL of two projection-index reads (an OR of the columns uses neither)
 * measured 30 ms of CPU, more than the IN set, because neither branch gets lazy materialization.
 */
export function traceIndexSql(tenantScoped: boolean, ordered = true): string {
  const tenant = tenantScoped ? " AND tenant_id IN {tenant_ids:Array(String)}" : "";
  return `SELECT ${TRACE_COLUMNS} FROM requests
  WHERE trace_id = {trace_id:String}${tenant}
  ${orderAndCap(ordered)}
  SETTINGS ${READ_QUERY_SETTINGS}, min_table_rows_to_use_projection_index = 0`;
}

/**
 * Whether the engine filters table rows through a `_part_offset` projection (a projection index). 25.8, the
 * docker-compose server, prunes whole parts only with them (a scan of each part holding the trace), so it keeps
 * the IN-set statement; the embedded engine (chdb 3.4, ClickHouse 26.7) has them. Releases between were not
 * measured and take the IN-set statement, which is right on every engine.
 */
export function hasProjectionIndex(version: string): boolean {
  const [major = 0] = version.split(".").map(Number);
  return major >= 26;
}

export class TracesRepository {
  readonly #client: ClickHouseClient;
  #projectionIndex: Promise<boolean> | null = null;

  constructor(client: ClickHouseClient) {
    this.#client = client;
  }

  /** Every request whose trace_id or otel_trace_id is `traceId`, oldest first; [] when none is visible. */
  async requestsOfTrace(traceId: string, tenantIds: string[] | null): Promise<RequestRecord[]> {
    const scoped = tenantIds !== null;
    const sql = !TRACE_ID_HEX.test(traceId) && (await this.#hasProjectionIndex()) ? traceIndexSql : traceSql;
    const params = { trace_id: traceId, ...(tenantIds === null ? {} : { tenant_ids: tenantIds }) };
    const records = await this.#records(sql(scoped, false), params);
    if (records.length <= MAX_REQUESTS_PER_TRACE) return records.sort(byTimeThenId);
    return this.#records(sql(scoped, true), params);
  }

  async #records(query: string, params: Record<string, unknown>): Promise<RequestRecord[]> {
    const result = await this.#client.query({ query, query_params: params, format: "JSONEachRow" });
    return (await result.json<Record<string, unknown>>()).map(fromRecordJson);
  }

  /** Asked once per repository; a failed ask is asked again next time. */
  #hasProjectionIndex(): Promise<boolean> {
    this.#projectionIndex ??= this.#client
      .query({ query: "SELECT version() AS v", format: "JSONEachRow" })
      .then((result) => result.json<{ v: string }>())
      .then((rows) => hasProjectionIndex(rows[0]?.v ?? ""))
      .catch((error: unknown) => {
        this.#projectionIndex = null;
        throw error;
      });
    return this.#projectionIndex;
  }
}
