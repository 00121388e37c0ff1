import type { ClickHouseClient } from "@clickhouse/client";
import { READ_QUERY_SETTINGS } from "./query-limits.ts";
import { REQUEST_BODY_COLUMNS, REQUEST_RECORD_COLUMNS, type RequestRecord, toRequestRecord } from "./request-record.ts";

/** A trace is small; the cap only protects the API from a pathological trace id shared by many requests. */
const MAX_REQUESTS_PER_TRACE = 1_000;

/**
 * The sort keys of the trace's rows (tenant, hour, time, id). Each branch filters on exactly one of the two
 * columns that have a key projection (trace_keys, otel_trace_keys) and reads only columns that projection
 * holds, so ClickHouse reads the projection at the trace id's granule instead of scanning. An OR across both
 * columns could use neither. A row matching both branches is one element of the IN set below.
 */
export function traceKeysSql(tenantScoped: boolean): string {
  const tenant = tenantScoped ? "AND tenant_id IN {tenant_ids:Array(String)}" : "";
  const branch = (column: string) => `SELECT tenant_id, toStartOfHour(occurred_at), occurred_at, event_id FROM requests
      WHERE ${column} = {trace_id:String} ${tenant} LIMIT ${MAX_REQUESTS_PER_TRACE}`;
  return `${branch("trace_id")}\n    UNION ALL\n    ${branch("otel_trace_id")}`;
}

/**
 * The trace's rows in one statement: the keys above as an IN set over the whole primary key, which ClickHouse
 * builds first and then uses to seek the table's granules (the tenant, hour and time are spelled out because
 * the key holds toStartOfHour). One statement, not two: a second round trip through the engine's queue and
 * the keys' JSON cost about as much as the seek itself. The trace view shows each request's prompt and answer
 * (bodies), as the request detail does.
 */
export function traceSql(tenantScoped: boolean): string {
  return `SELECT ${REQUEST_RECORD_COLUMNS}, ${REQUEST_BODY_COLUMNS} FROM requests
  WHERE (tenant_id, toStartOfHour(occurred_at), occurred_at, event_id) IN (${traceKeysSql(tenantScoped)})
  ORDER BY occurred_at ASC, event_id ASC
  LIMIT ${MAX_REQUESTS_PER_TRACE}
  SETTINGS ${READ_QUERY_SETTINGS}`;
}

export class TracesRepository {
  readonly #client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.#client = client;
  }

  /** Every request whose trace_id or otel_trace_id is `traceId`, oldest first; [] when none is visible. */
  async requestsOfTrace(traceId: string, tenantIds: string[] | null): Promise<RequestRecord[]> {
    const rows = await (
      await this.#client.query({
        query: traceSql(tenantIds !== null),
        query_params: { trace_id: traceId, ...(tenantIds === null ? {} : { tenant_ids: tenantIds }) },
        format: "JSONEachRow",
      })
    ).json<Record<string, unknown>>();
    return rows.map(toRequestRecord);
  }
}
