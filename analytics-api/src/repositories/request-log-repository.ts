import type { ClickHouseClient } from "@clickhouse/client";
import { fromClickHouseDateTime, toClickHouseDateTime } from "@switchyard/platform";
import type { Dimension } from "../breakdown/dimensions.ts";
import { filterSql, type RequestFilter } from "./filter-sql.ts";
import { READ_QUERY_SETTINGS } from "./query-limits.ts";
import { fromRecordJson, RECORD_JSON_COLUMN, REQUEST_BODY_COLUMNS, type RequestRecord } from "./request-record.ts";
import { toNumber } from "./sql-values.ts";

/** The columns of one request-log line (no attempts, checks or bodies: those are in its detail). */
const SUMMARY_COLUMNS = `toString(event_id) AS id, occurred_at, tenant_id, trace_id, user, model, provider, endpoint,
  stream, status_code, error_type, latency_ms, ttft_ms, input_tokens, output_tokens, cost_nano_usd,
  cost_saved_nano_usd, cache_status, retry_count, guardrail_verdict, prompt_id, prompt_version, metadata`;

/**
 * An export reads the filtered window a page at a time (keyset on the sort key, as the search does):
 * one unbounded query would hit the store's max_result_rows/bytes caps (platform/src/clickhouse), and
 * the embedded engine materialises a whole result before the first row is sent.
 */
const EXPORT_PAGE_ROWS = 10_000;

export interface RequestSummary {
  event_id: string;
  occurred_at: string;
  tenant_id: string;
  trace_id: string;
  user: string | null;
  model: string;
  provider: string;
  endpoint: string;
  stream: boolean;
  status_code: number;
  error_type: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  input_tokens: number;
  output_tokens: number;
  cost_nano_usd: number;
  cost_usd: number;
  cost_saved_nano_usd: number;
  cache_status: string;
  retry_count: number;
  guardrail_verdict: string;
  prompt_id: string | null;
  prompt_version: number | null;
  metadata: Record<string, string>;
}

type Raw = Record<string, unknown>;

export function toSummary(r: Raw): RequestSummary {
  const cost = toNumber(r.cost_nano_usd);
  return {
    event_id: String(r.id),
    occurred_at: fromClickHouseDateTime(String(r.occurred_at)),
    tenant_id: String(r.tenant_id),
    trace_id: String(r.trace_id),
    user: (r.user as string | null) ?? null,
    model: String(r.model),
    provider: String(r.provider),
    endpoint: String(r.endpoint),
    stream: Boolean(r.stream),
    status_code: toNumber(r.status_code),
    error_type: (r.error_type as string | null) ?? null,
    latency_ms: toNumber(r.latency_ms),
    ttft_ms: r.ttft_ms === null || r.ttft_ms === undefined ? null : toNumber(r.ttft_ms),
    input_tokens: toNumber(r.input_tokens),
    output_tokens: toNumber(r.output_tokens),
    cost_nano_usd: cost,
    cost_usd: cost / 1e9,
    cost_saved_nano_usd: toNumber(r.cost_saved_nano_usd),
    cache_status: String(r.cache_status),
    retry_count: toNumber(r.retry_count),
    guardrail_verdict: String(r.guardrail_verdict),
    prompt_id: r.prompt_id === "" || r.prompt_id === undefined ? null : String(r.prompt_id),
    prompt_version: r.prompt_version === null || r.prompt_version === undefined ? null : toNumber(r.prompt_version),
    metadata: (r.metadata ?? {}) as Record<string, string>,
  };
}

/** Where the previous page ended: rows strictly older than this (occurred_at, event_id) come next. */
export interface PageAfter {
  at: string;
  id: string;
}

/**
 * Newest first, one page past `after`. The ORDER BY is the table's sort key after the tenant (hour, time, id)
 * backwards, so a one-tenant search reads the key in reverse and stops at the page (`InReverseOrder`; tests
 * check it with EXPLAIN); the `exact` window bounds prune by hour. Several tenants sort the window's matches.
 */
const NEWEST_FIRST = "ORDER BY toStartOfHour(occurred_at) DESC, occurred_at DESC, event_id DESC";
export function searchQuery(filter: RequestFilter, limit: number, after: PageAfter | null) {
  const { where, params } = filterSql(filter, "exact");
  const cursor =
    after === null ? "" : "AND (occurred_at, event_id) < ({after_at:DateTime64(3, 'UTC')}, {after_id:UUID})";
  return {
    sql: `SELECT ${SUMMARY_COLUMNS} FROM requests ${where} ${cursor}
    ${NEWEST_FIRST}
    LIMIT {limit:UInt32}
    SETTINGS ${READ_QUERY_SETTINGS}`,
    params: {
      ...params,
      limit,
      ...(after === null ? {} : { after_at: toClickHouseDateTime(new Date(after.at)), after_id: after.id }),
    },
  };
}

/**
 * A search over several tenants cannot follow the sort key (it starts with the tenant), so it reads and
 * sorts its whole window. It looks at the newest hour first, then the newest day, then the whole window:
 * a page filled from a newer slice is the newest page of the window (every row outside the slice is
 * older), and a common filter fills it from the last hour. A rare one pays the slices (~4% more) on top.
 */
const SEARCH_SLICES_MS = [3_600_000, 86_400_000];

/**
 * Filters that usually match a few rows of a window (a needle: one user, key or prompt), which their bloom
 * filters find in a few granules: newer slices would rarely fill a page and would only add their own reads.
 */
const SPARSE: ReadonlySet<Dimension> = new Set([
  "user",
  "api_key",
  "virtual_key",
  "config",
  "prompt",
  "prompt_version",
]);

/**
 * The newer slices of `filter`'s window to try before the whole of it: none for one tenant (its search reads
 * the sort key in order and stops at the page) nor for a needle filter (see SPARSE).
 */
export function searchSlices(filter: RequestFilter, after: PageAfter | null): RequestFilter[] {
  if (filter.tenantIds?.length === 1 || filter.dimensions.some(([d]) => SPARSE.has(d))) return [];
  const end = Math.min(
    filter.window.to.getTime(),
    after === null ? Number.POSITIVE_INFINITY : Date.parse(after.at) + 1,
  );
  return SEARCH_SLICES_MS.map((span) => end - span)
    .filter((from) => from > filter.window.from.getTime())
    .map((from) => ({ ...filter, window: { from: new Date(from), to: filter.window.to } }));
}

export class RequestLogRepository {
  readonly #client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.#client = client;
  }

  async search(filter: RequestFilter, limit: number, after: PageAfter | null): Promise<RequestSummary[]> {
    for (const slice of searchSlices(filter, after)) {
      const rows = await this.#page(slice, limit, after);
      if (rows.length >= limit) return rows.map(toSummary);
    }
    return (await this.#page(filter, limit, after)).map(toSummary);
  }

  async #page(filter: RequestFilter, limit: number, after: PageAfter | null): Promise<Raw[]> {
    const { sql, params } = searchQuery(filter, limit, after);
    const result = await this.#client.query({ query: sql, query_params: params, format: "JSONEachRow" });
    return result.json<Raw>();
  }

  /**
   * One request with everything stored about it, bodies included; null when it is not visible to the caller.
   * The event_id bloom filter (one per granule) finds it; a tenant key also prunes by the primary key. It reads
   * the record as migration 011's one `record_json` column and the bodies, as the trace lookup does: a point
   * read pays per column stream, not per row.
   */
  async detail(eventId: string, tenantIds: string[] | null): Promise<RequestRecord | null> {
    const tenant = tenantIds === null ? "" : "AND tenant_id IN {tenant_ids:Array(String)}";
    const result = await this.#client.query({
      query: `SELECT ${RECORD_JSON_COLUMN}, ${REQUEST_BODY_COLUMNS} FROM requests
        WHERE event_id = {event_id:UUID} ${tenant} LIMIT 1 SETTINGS ${READ_QUERY_SETTINGS}`,
      query_params: { event_id: eventId, ...(tenantIds === null ? {} : { tenant_ids: tenantIds }) },
      format: "JSONEachRow",
    });
    const [row] = await result.json<Raw>();
    return row === undefined ? null : fromRecordJson(row);
  }

  /**
   * Every matching row, newest first, in keyset pages of EXPORT_PAGE_ROWS (no cap on the total, never
   * the whole set in memory, each page a bounded read under the store's per-query result limits).
   * Resolves once the first page is read, so a failure to start is still an HTTP error, not a cut body.
   */
  async openExport(filter: RequestFilter, signal: AbortSignal): Promise<AsyncIterable<RequestSummary>> {
    const page = async (after: PageAfter | null): Promise<Raw[]> => {
      const { sql, params } = searchQuery(filter, EXPORT_PAGE_ROWS, after);
      const result = await this.#client.query({
        query: sql,
        query_params: params,
        format: "JSONEachRow",
        abort_signal: signal,
      });
      return result.json<Raw>();
    };
    const first = await page(null);
    return (async function* () {
      let rows = first;
      for (;;) {
        for (const row of rows) yield toSummary(row);
        const last = rows.at(-1);
        if (rows.length < EXPORT_PAGE_ROWS || last === undefined || signal.aborted) return;
        rows = await page({ at: fromClickHouseDateTime(String(last.occurred_at)), id: String(last.id) });
      }
    })();
  }
}
