import { fromClickHouseDateTime } from "@switchyard/platform";
import { z } from "zod";
import { nanoToUsd, toNumber } from "../repositories/sql-values.ts";

/** Every metric a breakdown or time series can return and sort by. */
export const Metric = z.enum([
  "requests",
  "errors",
  "error_rate",
  "input_tokens",
  "output_tokens",
  "cached_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "cost_usd",
  "cost_nano_usd",
  "cost_saved_usd",
  "latency_avg_ms",
  "latency_p50_ms",
  "latency_p90_ms",
  "latency_p99_ms",
  "ttft_p50_ms",
  "ttft_p99_ms",
  "gateway_overhead_avg_ms",
  "cache_hits",
  "cache_hit_rate",
  "retries",
  "rescued",
  "last_seen",
  "feedback_count",
  "feedback_weighted_avg",
]);
export type Metric = z.infer<typeof Metric>;

/** Computed by joining the feedback table (only when asked for): not a rollup aggregate, so not sortable. */
export const FEEDBACK_METRICS: ReadonlySet<Metric> = new Set(["feedback_count", "feedback_weighted_avg"]);
export const DEFAULT_METRICS: readonly Metric[] = Metric.options.filter((m) => !FEEDBACK_METRICS.has(m));

/**
 * The aggregates of every breakdown query, written exactly as migration 003's rollup projections hold them:
 * ClickHouse answers from a projection only when the query's aggregate expressions are the projection's.
 * Aliases never equal a column name (ClickHouse would resolve the column to its own alias).
 */
export const AGGREGATES_SQL = `count() AS m_requests,
      countIf(status_code >= 400) AS m_errors,
      countIf(status_code < 400 AND attempt_count > 1) AS m_rescued,
      countIf(cache_status IN ('HIT', 'SEMANTIC HIT')) AS m_cache_hits,
      countIf(cache_status != 'DISABLED') AS m_cache_lookups,
      sum(retry_count) AS m_retries,
      sum(input_tokens) AS m_input, sum(output_tokens) AS m_output, sum(cache_read_tokens) AS m_cache_read,
      sum(cache_write_tokens) AS m_cache_write, sum(reasoning_tokens) AS m_reasoning,
      sum(cost_nano_usd) AS m_cost, sum(cost_saved_nano_usd) AS m_cost_saved,
      sum(latency_ms) AS m_latency_sum, sum(gateway_overhead_ms) AS m_overhead_sum,
      max(occurred_at) AS m_last_seen,
      quantilesTDigest(0.5, 0.9, 0.99)(latency_ms) AS m_latency_q,
      quantilesTDigest(0.5, 0.99)(ttft_ms) AS m_ttft_q`;

/** ORDER BY expression per sortable metric, over the aliases above. */
export const SORT_SQL: Record<Exclude<Metric, "feedback_count" | "feedback_weighted_avg">, string> = {
  requests: "m_requests",
  errors: "m_errors",
  error_rate: "m_errors / m_requests",
  input_tokens: "m_input",
  output_tokens: "m_output",
  cached_tokens: "m_cache_read",
  cache_write_tokens: "m_cache_write",
  reasoning_tokens: "m_reasoning",
  cost_usd: "m_cost",
  cost_nano_usd: "m_cost",
  cost_saved_usd: "m_cost_saved",
  latency_avg_ms: "m_latency_sum / m_requests",
  latency_p50_ms: "m_latency_q[1]",
  latency_p90_ms: "m_latency_q[2]",
  latency_p99_ms: "m_latency_q[3]",
  ttft_p50_ms: "ifNotFinite(m_ttft_q[1], -1)",
  ttft_p99_ms: "ifNotFinite(m_ttft_q[2], -1)",
  gateway_overhead_avg_ms: "m_overhead_sum / m_requests",
  cache_hits: "m_cache_hits",
  cache_hit_rate: "if(m_cache_lookups = 0, -1, m_cache_hits / m_cache_lookups)",
  retries: "m_retries",
  rescued: "m_rescued",
  last_seen: "m_last_seen",
};
export type SortableMetric = keyof typeof SORT_SQL;
export const isSortable = (metric: Metric): metric is SortableMetric => !FEEDBACK_METRICS.has(metric);

type Raw = Record<string, unknown>;
export type MetricValues = Partial<Record<Metric, number | string | null>>;

/** A quantile: t-digest of no values is NaN (JSON null or "nan"), which the API reports as null. */
function quantile(list: unknown, index: number): number | null {
  const value = Array.isArray(list) ? list[index] : undefined;
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? Math.round(n * 1000) / 1000 : null;
}
const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/** The metrics asked for, from one result row of AGGREGATES_SQL (feedback metrics are merged in separately). */
export function metricValues(r: Raw, metrics: readonly Metric[]): MetricValues {
  const requests = toNumber(r.m_requests);
  const errors = toNumber(r.m_errors);
  const cost = toNumber(r.m_cost);
  const all: Record<SortableMetric, number | string | null> = {
    requests,
    errors,
    error_rate: ratio(errors, requests),
    input_tokens: toNumber(r.m_input),
    output_tokens: toNumber(r.m_output),
    cached_tokens: toNumber(r.m_cache_read),
    cache_write_tokens: toNumber(r.m_cache_write),
    reasoning_tokens: toNumber(r.m_reasoning),
    cost_usd: nanoToUsd(cost),
    cost_nano_usd: cost,
    cost_saved_usd: nanoToUsd(toNumber(r.m_cost_saved)),
    latency_avg_ms: ratio(toNumber(r.m_latency_sum), requests),
    latency_p50_ms: quantile(r.m_latency_q, 0),
    latency_p90_ms: quantile(r.m_latency_q, 1),
    latency_p99_ms: quantile(r.m_latency_q, 2),
    ttft_p50_ms: quantile(r.m_ttft_q, 0),
    ttft_p99_ms: quantile(r.m_ttft_q, 1),
    gateway_overhead_avg_ms: ratio(toNumber(r.m_overhead_sum), requests),
    cache_hits: toNumber(r.m_cache_hits),
    cache_hit_rate: ratio(toNumber(r.m_cache_hits), toNumber(r.m_cache_lookups)),
    retries: toNumber(r.m_retries),
    rescued: toNumber(r.m_rescued),
    last_seen: requests === 0 ? null : fromClickHouseDateTime(String(r.m_last_seen)),
  };
  const picked: MetricValues = {};
  for (const metric of metrics) if (isSortable(metric)) picked[metric] = all[metric];
  return picked;
}
