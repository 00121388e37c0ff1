import type { ClickHouseClient } from "@clickhouse/client";
import { fromClickHouseDateTime, toClickHouseDateTime } from "@switchyard/platform";
import type { GroupBy, Interval } from "../http/query-params.ts";
import type { TimeWindow } from "../http/time-window.ts";
import { READ_QUERY_SETTINGS } from "./query-limits.ts";
import { nanoToUsd, toNumber } from "./sql-values.ts";

/**
 * Cost queries. They are written against `requests` using only the rollup_hourly projection's columns
 * (tenant_id, model, provider, toStartOfHour(occurred_at) and its sums; migration 003), so ClickHouse answers
 * model, provider and tenant breakdowns from the pre-aggregated projection parts; per-user ones read the
 * rows (a user rollup reduces rows only per day: /v1/analytics/breakdown). The numbers are identical either way.
 */

// Dimension → column. Only these fixed identifiers ever reach the SQL text; values go through parameters.
const GROUP_COLUMN: Record<GroupBy, string> = {
  user: "user",
  model: "model",
  provider: "provider",
  tenant: "tenant_id",
};

const BUCKET_EXPRESSION: Record<Interval, string> = {
  hour: "toStartOfHour(occurred_at)",
  // Derived from the hour so the projection's column can answer it.
  day: "toStartOfDay(toStartOfHour(occurred_at))",
};

export interface CostFilter {
  window: TimeWindow;
  /** null = every tenant (admin). */
  tenantIds: string[] | null;
  groupBy: GroupBy;
}

export interface CostRow {
  key: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_nano_usd: number;
  cost_usd: number;
}

export interface TimeseriesRow {
  bucket: string;
  key: string | null;
  requests: number;
  cost_nano_usd: number;
  cost_usd: number;
  input_tokens: number;
  output_tokens: number;
}

function whereClause(filter: CostFilter): string {
  const tenant = filter.tenantIds === null ? "" : "AND tenant_id IN {tenant_ids:Array(String)}";
  return `WHERE toStartOfHour(occurred_at) >= {from:DateTime64(3, 'UTC')}
      AND toStartOfHour(occurred_at) < {to:DateTime64(3, 'UTC')} ${tenant}`;
}

/** SQL of the costs breakdown (exported so tests can EXPLAIN exactly what runs). */
export function costsSql(filter: CostFilter): string {
  // Aliases differ from column names: ClickHouse would otherwise resolve sum(x) AS x to itself.
  return `SELECT ${GROUP_COLUMN[filter.groupBy]} AS group_key,
      count() AS n_requests,
      sum(input_tokens) AS n_input, sum(output_tokens) AS n_output,
      sum(cache_read_tokens) AS n_cache_read, sum(cache_write_tokens) AS n_cache_write,
      sum(reasoning_tokens) AS n_reasoning, sum(cost_nano_usd) AS nano
    FROM requests ${whereClause(filter)}
    GROUP BY group_key
    ORDER BY nano DESC, group_key ASC
    SETTINGS ${READ_QUERY_SETTINGS}`;
}

/** SQL of the cost time series. */
export function timeseriesSql(filter: CostFilter & { interval: Interval }): string {
  return `SELECT ${BUCKET_EXPRESSION[filter.interval]} AS bucket_start,
      ${GROUP_COLUMN[filter.groupBy]} AS group_key,
      count() AS n_requests, sum(cost_nano_usd) AS nano,
      sum(input_tokens) AS n_input, sum(output_tokens) AS n_output
    FROM requests ${whereClause(filter)}
    GROUP BY bucket_start, group_key
    ORDER BY bucket_start ASC, group_key ASC
    SETTINGS ${READ_QUERY_SETTINGS}`;
}

/** Query parameters shared by both cost queries. */
export function costParams(filter: CostFilter): Record<string, unknown> {
  return {
    from: toClickHouseDateTime(filter.window.from),
    to: toClickHouseDateTime(filter.window.to),
    ...(filter.tenantIds === null ? {} : { tenant_ids: filter.tenantIds }),
  };
}

type Raw = Record<string, unknown>;

export class CostsRepository {
  readonly #client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.#client = client;
  }

  /** Totals per group over the window, most expensive first. */
  async costs(filter: CostFilter): Promise<CostRow[]> {
    const query = costsSql(filter);
    const result = await this.#client.query({ query, query_params: costParams(filter), format: "JSONEachRow" });
    return (await result.json<Raw>()).map((r) => {
      const nano = toNumber(r.nano);
      return {
        key: (r.group_key as string | null) ?? null,
        requests: toNumber(r.n_requests),
        input_tokens: toNumber(r.n_input),
        output_tokens: toNumber(r.n_output),
        cache_read_tokens: toNumber(r.n_cache_read),
        cache_write_tokens: toNumber(r.n_cache_write),
        reasoning_tokens: toNumber(r.n_reasoning),
        cost_nano_usd: nano,
        cost_usd: nanoToUsd(nano),
      };
    });
  }

  /** One point per (bucket, group) that has requests, in time order. */
  async timeseries(filter: CostFilter & { interval: Interval }): Promise<TimeseriesRow[]> {
    const query = timeseriesSql(filter);
    const result = await this.#client.query({ query, query_params: costParams(filter), format: "JSONEachRow" });
    return (await result.json<Raw>()).map((r) => {
      const nano = toNumber(r.nano);
      return {
        bucket: fromClickHouseDateTime(String(r.bucket_start)),
        key: (r.group_key as string | null) ?? null,
        requests: toNumber(r.n_requests),
        cost_nano_usd: nano,
        cost_usd: nanoToUsd(nano),
        input_tokens: toNumber(r.n_input),
        output_tokens: toNumber(r.n_output),
      };
    });
  }
}
