import type { Migration } from "./migration.ts";

/** One row per FeedbackEvent, written with the same exactly-once rules as requests. */
export const createFeedbackTable: Migration = {
  version: 2,
  name: "create feedback table",
  statements: [
    `CREATE TABLE IF NOT EXISTS feedback (
      event_id UUID,
      schema_version UInt8,
      occurred_at DateTime64(3, 'UTC'),
      tenant_id LowCardinality(String),
      trace_id String,
      value Int8,
      weight Float64,
      metadata Map(String, String),
      source_topic LowCardinality(String),
      source_partition UInt32,
      source_offset UInt64,
      ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
      INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 1,
      INDEX idx_source_offset (source_partition, source_offset) TYPE minmax GRANULARITY 1,
      PROJECTION trace_keys (SELECT trace_id, tenant_id, occurred_at, event_id ORDER BY trace_id)
    )
    ENGINE = MergeTree
    PARTITION BY toYYYYMM(occurred_at)
    ORDER BY (tenant_id, toStartOfHour(occurred_at), occurred_at, event_id)
    SETTINGS fsync_after_insert = 1, fsync_part_directory = 1`,
  ],
};
