import { fromClickHouseDateTime, LOG_MS_SCALE, timingQuantilesSql } from "@switchyard/platform";
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
 * The aggregates a breakdown may select, written exactly as the rollup projections hold them (migration 003,
 * percentiles since 007): ClickHouse answers from a projection only when each aggregate of the query is one of
 * the projection's. A query selects only those its metrics need (merging percentile states is the costly part,
 * so it is paid only for percentiles). Aliases never equal a column name (ClickHouse would resolve the column to
 * its own alias). Percentiles are log-scaled codes (decoded by `quantile` below); their order is the values'.
 */
const AGGREGATES = {
  m_requests: "count()",
  m_errors: "countIf(status_code >= 400)",
  m_rescued: "countIf(status_code < 400 AND attempt_count > 1)",
  m_cache_hits: "countIf(cache_status IN ('HIT', 'SEMANTIC HIT'))",
  m_cache_lookups: "countIf(cache_status != 'DISABLED')",
  m_retries: "sum(retry_count)",
  m_input: "sum(input_tokens)",
  m_output: "sum(output_tokens)",
  m_cache_read: "sum(cache_read_tokens)",
  m_cache_write: "sum(cache_write_tokens)",
  m_reasoning: "sum(reasoning_tokens)",
  m_cost: "sum(cost_nano_usd)",
  m_cost_saved: "sum(cost_saved_nano_usd)",
  m_latency_sum: "sum(latency_ms)",
  m_overhead_sum: "sum(gateway_overhead_ms)",
  m_last_seen: "max(occurred_at)",
  m_latency_q: timingQuantilesSql("0.5, 0.9, 0.99", "latency_ms"),
  m_ttft_q: timingQuantilesSql("0.5, 0.99", "ttft_ms"),
} as const;
type Aggregate = keyof typeof AGGREGATES;

/** What each metric is computed from (every row carries m_requests too). */
const NEEDS: Record<SortableMetric, readonly Aggregate[]> = {
  requests: [],
  errors: ["m_errors"],
  error_rate: ["m_errors"],
  input_tokens: ["m_input"],
  output_tokens: ["m_output"],
  cached_tokens: ["m_cache_read"],
  cache_write_tokens: ["m_cache_write"],
  reasoning_tokens: ["m_reasoning"],
  cost_usd: ["m_cost"],
  cost_nano_usd: ["m_cost"],
  cost_saved_usd: ["m_cost_saved"],
  latency_avg_ms: ["m_latency_sum"],
  latency_p50_ms: ["m_latency_q"],
  latency_p90_ms: ["m_latency_q"],
  latency_p99_ms: ["m_latency_q"],
  ttft_p50_ms: ["m_ttft_q"],
  ttft_p99_ms: ["m_ttft_q"],
  gateway_overhead_avg_ms: ["m_overhead_sum"],
  cache_hits: ["m_cache_hits"],
  cache_hit_rate: ["m_cache_hits", "m_cache_lookups"],
  retries: ["m_retries"],
  rescued: ["m_rescued"],
  last_seen: ["m_last_seen"],
};

/** Aggregates that are not sums or counts: an "other" row cannot get them by subtracting the top groups from the total. */
const NOT_SUBTRACTABLE: ReadonlySet<Aggregate> = new Set(["m_last_seen", "m_latency_q", "m_ttft_q"]);

/** Whether every aggregate `metrics` need is a sum or a count. */
export function subtractable(metrics: readonly Metric[]): boolean {
  return metrics.every((m) => !isSortable(m) || NEEDS[m].every((a) => !NOT_SUBTRACTABLE.has(a)));
}

/** The SELECT list of aggregates for `metrics` (and the sort metric). */
export function aggregatesSql(metrics: readonly Metric[]): string {
  const needed = new Set<Aggregate>(["m_requests"]);
  for (const metric of metrics) if (isSortable(metric)) for (const a of NEEDS[metric]) needed.add(a);
  return [...needed].map((alias) => `${AGGREGATES[alias]} AS ${alias}`).join(",\n      ");
}

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

/**
 * A quantile in ms from its log-scaled code (migration 007: code = round(ln(1 + ms) × LOG_MS_SCALE)), in whole
 * ms (hundredths below 10 ms): the code's own rounding is ±0.03 %, so a stored 1000 reads back 1000, not 999.9
 * (exactly, for whole values under ~1,500 ms). The state of no values is NaN (JSON null or "nan"): null.
 */
function quantile(list: unknown, index: number): number | null {
  const value = Array.isArray(list) ? list[index] : undefined;
  if (value === null || value === undefined) return null;
  const code = Number(value);
  if (!Number.isFinite(code)) return null;
  const ms = Math.expm1(code / LOG_MS_SCALE);
  return ms >= 10 ? Math.round(ms) : Math.round(ms * 100) / 100;
}
const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/** The metrics asked for, from one result row of aggregatesSql(metrics) (feedback metrics are merged in apart). */
export function metricValues(r: Raw, metrics: readonly Metric[]): MetricValues {
  const requests = toNumber(r.m_requests);
  const compute: Record<SortableMetric, () => number | string | null> = {
    requests: () => requests,
    errors: () => toNumber(r.m_errors),
    error_rate: () => ratio(toNumber(r.m_errors), requests),
    input_tokens: () => toNumber(r.m_input),
    output_tokens: () => toNumber(r.m_output),
    cached_tokens: () => toNumber(r.m_cache_read),
    cache_write_tokens: () => toNumber(r.m_cache_write),
    reasoning_tokens: () => toNumber(r.m_reasoning),
    cost_usd: () => nanoToUsd(toNumber(r.m_cost)),
    cost_nano_usd: () => toNumber(r.m_cost),
    cost_saved_usd: () => nanoToUsd(toNumber(r.m_cost_saved)),
    latency_avg_ms: () => ratio(toNumber(r.m_latency_sum), requests),
    latency_p50_ms: () => quantile(r.m_latency_q, 0),
    latency_p90_ms: () => quantile(r.m_latency_q, 1),
    latency_p99_ms: () => quantile(r.m_latency_q, 2),
    ttft_p50_ms: () => quantile(r.m_ttft_q, 0),
    ttft_p99_ms: () => quantile(r.m_ttft_q, 1),
    gateway_overhead_avg_ms: () => ratio(toNumber(r.m_overhead_sum), requests),
    cache_hits: () => toNumber(r.m_cache_hits),
    cache_hit_rate: () => ratio(toNumber(r.m_cache_hits), toNumber(r.m_cache_lookups)),
    retries: () => toNumber(r.m_retries),
    rescued: () => toNumber(r.m_rescued),
    last_seen: () => (requests === 0 ? null : fromClickHouseDateTime(String(r.m_last_seen))),
  };
  const picked: MetricValues = {};
  for (const metric of metrics) if (isSortable(metric)) picked[metric] = compute[metric]();
  return picked;
}
