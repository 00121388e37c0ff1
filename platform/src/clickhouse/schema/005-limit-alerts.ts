import type { Migration } from "./migration.ts";

/**
 * One row per LimitAlertEvent (llm.limit-alerts.v1): a budget crossed its alert_threshold, once per
 * limit and period. Written by ingest with the same exactly-once rules as requests (the dedup lookup
 * reads event_id, occurred_at and tenant_id). Amounts are in the limit's unit (USD, tokens, requests).
 */
export const createLimitAlertsTable: Migration = {
  version: 5,
  name: "create limit_alerts table",
  statements: [
    `CREATE TABLE IF NOT EXISTS limit_alerts (
      event_id UUID,
      schema_version UInt8,
      occurred_at DateTime64(3, 'UTC'),
      gateway_instance LowCardinality(String),
      tenant_id LowCardinality(String),
      limit_id String,
      policy_id String,
      metric LowCardinality(String),
      credit_limit Float64,
      alert_threshold Float64,
      spend Float64,
      period_start DateTime64(3, 'UTC'),
      period_end Nullable(DateTime64(3, 'UTC')),
      source_topic LowCardinality(String),
      source_partition UInt32,
      source_offset UInt64,
      ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
      INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 1
    )
    ENGINE = MergeTree
    PARTITION BY toYYYYMM(occurred_at)
    ORDER BY (tenant_id, toStartOfHour(occurred_at), occurred_at, event_id)
    SETTINGS fsync_after_insert = 1, fsync_part_directory = 1`,
  ],
};
