import type { Migration } from "./migration.ts";

/** How long prompt and answer bodies are kept; the metrics columns of the same row stay. */
export const BODIES_RETENTION_DAYS = 30;

/** Every aggregate a rollup keeps. A query matches a projection only when its aggregates are these exact expressions. */
const ROLLUP_AGGREGATES = `count(), countIf(status_code >= 400), countIf(status_code < 400 AND attempt_count > 1),
          countIf(cache_status IN ('HIT', 'SEMANTIC HIT')), countIf(cache_status != 'DISABLED'),
          sum(retry_count), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
          sum(cache_write_tokens), sum(reasoning_tokens), sum(cost_nano_usd), sum(cost_saved_nano_usd),
          sum(latency_ms), sum(gateway_overhead_ms), max(occurred_at) AS last_seen,
          quantilesTDigest(0.5, 0.9, 0.99)(latency_ms), quantilesTDigest(0.5, 0.99)(ttft_ms)`;

const LOW_CARDINALITY_KEYS = "model, provider, endpoint, status_code, cache_status, guardrail_verdict";
const HOUR = "toStartOfHour(occurred_at)";
const DAY = "toStartOfDay(occurred_at)";

/**
 * [name, time key, dimension keys]. The low-cardinality dimensions at two resolutions (hour for hour steps and
 * windows that are not whole days, day for long windows); the high-cardinality ones only per day, each
 * apart, so one never multiplies another's rows (users × keys × prompts would roll nothing up).
 */
const ROLLUPS: readonly (readonly [string, string, string])[] = [
  ["rollup_hourly", HOUR, LOW_CARDINALITY_KEYS],
  ["rollup_daily", DAY, LOW_CARDINALITY_KEYS],
  ["rollup_daily_users", DAY, "user"],
  ["rollup_daily_keys", DAY, "api_key_id, virtual_key_id, config_id"],
  ["rollup_daily_prompts", DAY, "prompt_id, prompt_version"],
];

const addRollup = (
  name: string,
  time: string,
  keys: string,
) => `ALTER TABLE requests ADD PROJECTION IF NOT EXISTS ${name} (
      SELECT tenant_id, ${time}, ${keys}, ${ROLLUP_AGGREGATES}
      GROUP BY tenant_id, ${time}, ${keys}
    )`;

const bodyTtl = `TTL toDateTime(occurred_at) + INTERVAL ${BODIES_RETENTION_DAYS} DAY`;

/**
 * The columns for the event fields added after migration 001, prompt/answer bodies, rollups that
 * really reduce rows, and skip indexes for request-log search.
 *
 * - Bodies are columns of `requests` (not their own table): a second table would need its own
 *   exactly-once insert, and a crash between the two writes could leave a row without its bodies or
 *   the reverse. ZSTD-compressed, with a column TTL: after BODIES_RETENTION_DAYS a merge resets them to
 *   '' / false, so `bodies_captured = false` reads back as "no bodies" and the row's metrics stay.
 * - hourly_rollup (001) grouped by user: at 10M requests it held 8.6M rows and rolled nothing up. It is
 *   replaced by the aggregate projections of ROLLUPS, each with the same aggregates (t-digest states for
 *   the percentiles); analytics-api/src/breakdown/query-plan.ts picks the one a query can use.
 * - Skip indexes let a request-log search with a user, key, prompt, status or metadata filter skip granules.
 * Projections are built for new parts; existing parts get them from MATERIALIZE (a background mutation)
 * or from `replay`, which truncates and re-ingests the log.
 */
export const addAnalyticsColumnsAndRollups: Migration = {
  version: 3,
  name: "event fields, bodies with TTL, dimension rollups with t-digest percentiles, log search indexes",
  statements: [
    `ALTER TABLE requests
      ADD COLUMN IF NOT EXISTS attempt_count UInt32 MATERIALIZED length(attempts)
        COMMENT 'a column, not length(attempts) in the rollups: queries rewrite that to a subcolumn read the projections would not match'
        AFTER attempts,
      ADD COLUMN IF NOT EXISTS guardrail_hooks Array(Tuple(
        hook_id String, hook_type LowCardinality(String), verdict Bool, deny Bool, transformed Bool,
        async Bool, latency_ms Float64)) AFTER guardrails,
      ADD COLUMN IF NOT EXISTS guardrail_verdict LowCardinality(String) DEFAULT 'none'
        COMMENT 'none | passed | failed | denied, over every hook and check' AFTER guardrail_hooks,
      ADD COLUMN IF NOT EXISTS cache_key String DEFAULT '' COMMENT 'empty string when the cache was not consulted'
        AFTER guardrail_verdict,
      ADD COLUMN IF NOT EXISTS cost_saved_nano_usd UInt64 DEFAULT 0 AFTER cache_key,
      ADD COLUMN IF NOT EXISTS prompt_id String DEFAULT '' COMMENT 'empty string when no prompt template'
        AFTER cost_saved_nano_usd,
      ADD COLUMN IF NOT EXISTS prompt_version Nullable(UInt64) AFTER prompt_id,
      ADD COLUMN IF NOT EXISTS prompt_label String DEFAULT '' AFTER prompt_version,
      ADD COLUMN IF NOT EXISTS limit_checks Array(Tuple(
        limit_id String, kind LowCardinality(String), metric LowCardinality(String), allowed Bool)) AFTER prompt_label,
      ADD COLUMN IF NOT EXISTS bodies_captured Bool DEFAULT false CODEC(ZSTD(3)) ${bodyTtl} AFTER limit_checks,
      ADD COLUMN IF NOT EXISTS bodies_truncated Bool DEFAULT false CODEC(ZSTD(3)) ${bodyTtl} AFTER bodies_captured,
      ADD COLUMN IF NOT EXISTS body_request String DEFAULT '' CODEC(ZSTD(3)) ${bodyTtl} AFTER bodies_truncated,
      ADD COLUMN IF NOT EXISTS body_response String DEFAULT '' CODEC(ZSTD(3)) ${bodyTtl} AFTER body_request`,
    "ALTER TABLE requests DROP PROJECTION IF EXISTS hourly_rollup",
    ...ROLLUPS.map(([name, time, keys]) => addRollup(name, time, keys)),
    `ALTER TABLE requests
      ADD INDEX IF NOT EXISTS idx_user user TYPE bloom_filter(0.01) GRANULARITY 2,
      ADD INDEX IF NOT EXISTS idx_api_key api_key_id TYPE bloom_filter(0.01) GRANULARITY 2,
      ADD INDEX IF NOT EXISTS idx_prompt prompt_id TYPE bloom_filter(0.01) GRANULARITY 2,
      ADD INDEX IF NOT EXISTS idx_status status_code TYPE minmax GRANULARITY 1,
      ADD INDEX IF NOT EXISTS idx_metadata_keys mapKeys(metadata) TYPE bloom_filter(0.01) GRANULARITY 2,
      ADD INDEX IF NOT EXISTS idx_metadata_values mapValues(metadata) TYPE bloom_filter(0.01) GRANULARITY 2`,
    // Existing parts: builds what new parts get at insert (a no-op on an empty table).
    ...ROLLUPS.map(([name]) => `ALTER TABLE requests MATERIALIZE PROJECTION ${name}`),
  ],
};
