import type { ClickHouseClient } from "@clickhouse/client";
import { READ_QUERY_SETTINGS } from "./query-limits.ts";
import { REQUEST_RECORD_COLUMNS, type RequestRecord, toRequestRecord } from "./request-record.ts";

/** A trace is small; the cap only protects the API from a pathological trace id shared by many requests. */
const MAX_REQUESTS_PER_TRACE = 1_000;

/**
 * Lookup by trace id. Each branch filters on exactly one of the two columns that have a `_part_offset`
 * index projection (trace_lookup, otel_trace_lookup), so each is a binary search per part rather than a
 * scan; an OR across both columns could use neither. The second branch skips rows the first one returned.
 * min_table_rows_to_use_projection_index = 0: ClickHouse otherwise ignores projection indexes on tables
 * under a million rows, and the test suite asserts the index is used.
 */
export function traceLookupSql(tenantScoped: boolean): string {
  const tenant = tenantScoped ? "AND tenant_id = {tenant_id:String}" : "";
  return `SELECT ${REQUEST_RECORD_COLUMNS} FROM (
      SELECT * FROM requests WHERE trace_id = {trace_id:String} ${tenant}
      UNION ALL
      SELECT * FROM requests
      WHERE otel_trace_id = {trace_id:String} AND trace_id != {trace_id:String} ${tenant}
    )
    ORDER BY occurred_at ASC, event_id ASC
    LIMIT ${MAX_REQUESTS_PER_TRACE}
    SETTINGS min_table_rows_to_use_projection_index = 0, ${READ_QUERY_SETTINGS}`;
}

export class TracesRepository {
  readonly #client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.#client = client;
  }

  /** Every request whose trace_id or otel_trace_id is `traceId`, oldest first; [] when none is visible. */
  async requestsOfTrace(traceId: string, tenantId: string | null): Promise<RequestRecord[]> {
    const result = await this.#client.query({
      query: traceLookupSql(tenantId !== null),
      query_params: { trace_id: traceId, ...(tenantId === null ? {} : { tenant_id: tenantId }) },
      format: "JSONEachRow",
    });
    return (await result.json<Record<string, unknown>>()).map(toRequestRecord);
  }
}
