import type { ClickHouseClient } from "@clickhouse/client";
import { READ_QUERY_SETTINGS } from "./query-limits.ts";
import { REQUEST_BODY_COLUMNS, REQUEST_RECORD_COLUMNS, type RequestRecord, toRequestRecord } from "./request-record.ts";

/** A trace is small; the cap only protects the API from a pathological trace id shared by many requests. */
const MAX_REQUESTS_PER_TRACE = 1_000;

/**
 * Step 1: the sort keys of the trace's rows. Each branch filters on exactly one of the two columns that
 * have a key projection (trace_keys, otel_trace_keys) and reads only columns that projection holds, so
 * ClickHouse reads the projection at the trace id's granule instead of scanning. An OR across both
 * columns could use neither. A row matching both branches comes back twice and is deduplicated in JS.
 */
export function traceKeysSql(tenantScoped: boolean): string {
  const tenant = tenantScoped ? "AND tenant_id IN {tenant_ids:Array(String)}" : "";
  return `SELECT tenant_id, occurred_at, toString(event_id) AS id FROM requests
      WHERE trace_id = {trace_id:String} ${tenant}
    UNION ALL
    SELECT tenant_id, occurred_at, toString(event_id) AS id FROM requests
      WHERE otel_trace_id = {trace_id:String} ${tenant}
    LIMIT ${MAX_REQUESTS_PER_TRACE}
    SETTINGS ${READ_QUERY_SETTINGS}`;
}

/**
 * Step 2: the rows themselves, sought through the table's primary key (tenant, hour, time) and the event_id
 * index. The explicit hour bounds matter: ClickHouse does not derive them from the occurred_at range itself.
 * The trace view shows each request's prompt and answer (bodies), as the request detail does.
 */
export const TRACE_ROWS_SQL = `SELECT ${REQUEST_RECORD_COLUMNS}, ${REQUEST_BODY_COLUMNS} FROM requests
  WHERE tenant_id IN {tenants:Array(String)}
    AND toStartOfHour(occurred_at) >= toStartOfHour({from:DateTime64(3, 'UTC')})
    AND toStartOfHour(occurred_at) <= toStartOfHour({to:DateTime64(3, 'UTC')})
    AND occurred_at >= {from:DateTime64(3, 'UTC')} AND occurred_at <= {to:DateTime64(3, 'UTC')}
    AND event_id IN {ids:Array(UUID)}
  ORDER BY occurred_at ASC, event_id ASC
  SETTINGS ${READ_QUERY_SETTINGS}`;

interface RowKey {
  tenant_id: string;
  occurred_at: string;
  id: string;
}

/** Parameters of TRACE_ROWS_SQL for the keys step 1 found. */
export function traceRowsParams(keys: readonly RowKey[]): Record<string, unknown> {
  const times = keys.map((k) => k.occurred_at).sort();
  return {
    tenants: [...new Set(keys.map((k) => k.tenant_id))],
    from: times[0],
    to: times[times.length - 1],
    ids: [...new Set(keys.map((k) => k.id))],
  };
}

export class TracesRepository {
  readonly #client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.#client = client;
  }

  /** Every request whose trace_id or otel_trace_id is `traceId`, oldest first; [] when none is visible. */
  async requestsOfTrace(traceId: string, tenantIds: string[] | null): Promise<RequestRecord[]> {
    const keys = await (
      await this.#client.query({
        query: traceKeysSql(tenantIds !== null),
        query_params: { trace_id: traceId, ...(tenantIds === null ? {} : { tenant_ids: tenantIds }) },
        format: "JSONEachRow",
      })
    ).json<RowKey>();
    if (keys.length === 0) return [];
    const rows = await (
      await this.#client.query({ query: TRACE_ROWS_SQL, query_params: traceRowsParams(keys), format: "JSONEachRow" })
    ).json<Record<string, unknown>>();
    return rows.map(toRequestRecord);
  }
}
