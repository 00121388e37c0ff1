import type { Migration } from "./migration.ts";

/**
 * Percentiles are kept as a histogram of log-scaled milliseconds: a value v is stored as the code
 * round(ln(1 + v) × LOG_MS_SCALE) in a `quantilesTiming` state, and read back as exp(code / LOG_MS_SCALE) − 1.
 * quantileTiming keeps codes exactly up to 5,670 values (then ±0.03 %, the code's rounding) and past that in
 * buckets of 16 codes, so the answer is within about one bucket, 16 / LOG_MS_SCALE = 1.07 %, of the true quantile,
 * relative, whatever the magnitude (timing-percentiles.test.ts: ≤ 1.25 % against quantilesExact); codes stop at
 * 30,000 (e^20 ms, about 5.6 days). The analytics API decodes (`analytics-api/src/breakdown/metrics.ts`).
 */
export const LOG_MS_SCALE = 1500;

/** The state a percentile metric is read from: the one expression the rollups and the API share. */
export const timingQuantilesSql = (levels: string, column: string) =>
  `quantilesTiming(${levels})(round(log1p(${column}) * ${LOG_MS_SCALE}))`;

/** Migration 003's rollup aggregates with the t-digest states replaced (the query side must match them exactly). */
const ROLLUP_AGGREGATES = `count(), countIf(status_code >= 400), countIf(status_code < 400 AND attempt_count > 1),
          countIf(cache_status IN ('HIT', 'SEMANTIC HIT')), countIf(cache_status != 'DISABLED'),
          sum(retry_count), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
          sum(cache_write_tokens), sum(reasoning_tokens), sum(cost_nano_usd), sum(cost_saved_nano_usd),
          sum(latency_ms), sum(gateway_overhead_ms), max(occurred_at) AS last_seen,
          ${timingQuantilesSql("0.5, 0.9, 0.99", "latency_ms")}, ${timingQuantilesSql("0.5, 0.99", "ttft_ms")}`;

const LOW_CARDINALITY_KEYS = "model, provider, endpoint, status_code, cache_status, guardrail_verdict";
const ROLLUPS: readonly (readonly [string, string, string])[] = [
  ["rollup_hourly", "toStartOfHour(occurred_at)", LOW_CARDINALITY_KEYS],
  ["rollup_daily", "toStartOfDay(occurred_at)", LOW_CARDINALITY_KEYS],
  ["rollup_daily_users", "toStartOfDay(occurred_at)", "user"],
];

/**
 * The rollups' percentiles as log-scaled timing histograms instead of t-digests. Over a 30-day window a daily
 * state holds a few dozen to a few hundred values, which a t-digest keeps nearly one centroid each: merging the
 * states of a month was merging every value again (10M rows: ~350 ms of CPU for an all-tenant breakdown, ~150 ms
 * for one tenant by user, most of it t-digest merges). A timing state merges by adding counts to a fixed
 * histogram (about 4× less CPU per merged state, measured on the same states) and is deterministic. Same names,
 * same keys, same other aggregates: only the two percentile states change.
 *
 * Dropping and re-adding a projection is idempotent (IF EXISTS / IF NOT EXISTS), so a crash before the version
 * row re-runs cleanly. MATERIALIZE rebuilds the new states for existing parts (a background mutation; until it
 * has run, breakdowns read the rows, slower but exact); on an empty table it is a no-op, and `replay` builds them
 * as parts are written.
 */
export const timingPercentiles: Migration = {
  version: 7,
  name: "rollup percentiles as log-scaled timing histograms instead of t-digests",
  statements: [
    ...ROLLUPS.map(([name]) => `ALTER TABLE requests DROP PROJECTION IF EXISTS ${name}`),
    ...ROLLUPS.map(
      ([name, time, keys]) => `ALTER TABLE requests ADD PROJECTION IF NOT EXISTS ${name} (
      SELECT tenant_id, ${time}, ${keys}, ${ROLLUP_AGGREGATES}
      GROUP BY tenant_id, ${time}, ${keys}
    )`,
    ),
    ...ROLLUPS.map(([name]) => `ALTER TABLE requests MATERIALIZE PROJECTION ${name}`),
  ],
};
