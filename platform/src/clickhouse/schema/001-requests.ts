import type { Migration } from "./migration.ts";

/**
 * One row per RequestEvent. Derived read structures are PROJECTIONS, not materialized views:
 * a projection is written inside the same data part as the rows it summarises, so it exists exactly
 * when its rows exist. A SIGKILL can never leave the rollup counting rows the table lacks (or the reverse),
 * and the ingest dedup check, which looks at the rows, is also a check of the rollup.
 *
 * - hourly_rollup: pre-aggregated sums per (tenant, user, model, provider, hour) for cost queries.
 * - trace_keys / otel_trace_keys: (trace id → sort key of the row) sorted by trace id. A trace lookup
 *   seeks these, then seeks the rows by the table's own primary key: two index seeks, no scan. Plain
 *   projections rather than `_part_offset` ones: on ClickHouse 25.8 (the docker-compose server) those
 *   prune whole parts only; granule-level pruning (and its settings) came in later releases.
 *
 * The sort key holds only immutable, low-cardinality-first columns; the event is immutable so reads
 * never need FINAL. Nullable ids that feed projection keys are stored as '' (the schema forbids '').
 * Costs are integer nano-USD (UInt64), exactly as computed at the gateway.
 * fsync settings: the bus offset is committed after the insert returns, so the part must survive
 * power loss too, not just a process kill. allow_nullable_key: the rollup groups by the Nullable `user`,
 * which becomes its projection's key; recent engines accept that anyway, older servers want the setting.
 */
export const createRequestsTable: Migration = {
  version: 1,
  name: "create requests table with rollup and trace projections",
  statements: [
    `CREATE TABLE IF NOT EXISTS requests (
      event_id UUID,
      schema_version UInt8,
      occurred_at DateTime64(3, 'UTC'),
      gateway_instance LowCardinality(String),
      tenant_id LowCardinality(String),
      api_key_id Nullable(String),
      virtual_key_id Nullable(String),
      config_id Nullable(String),
      trace_id String,
      otel_trace_id String COMMENT 'empty string when the event has none',
      otel_span_id String COMMENT 'empty string when the event has none',
      endpoint LowCardinality(String),
      stream Bool,
      model_requested String,
      model_used Nullable(String),
      model LowCardinality(String) COMMENT 'model_used, else model_requested: the model the cost is for',
      provider LowCardinality(String),
      target_path Nullable(String),
      metadata Map(String, String),
      user Nullable(String),
      status_code UInt16,
      error_type Nullable(String),
      error_message Nullable(String),
      latency_ms Float64,
      upstream_latency_ms Nullable(Float64),
      ttft_ms Nullable(Float64),
      gateway_overhead_ms Float64,
      input_tokens UInt64,
      output_tokens UInt64,
      cache_read_tokens UInt64,
      cache_write_tokens UInt64,
      reasoning_tokens UInt64,
      usage_estimated Bool,
      cost_nano_usd UInt64,
      cost_input_nano_usd UInt64,
      cost_cached_input_nano_usd UInt64,
      cost_cache_write_nano_usd UInt64,
      cost_output_nano_usd UInt64,
      cost_reasoning_nano_usd UInt64,
      pricing_source LowCardinality(String),
      cache_status LowCardinality(String),
      retry_count UInt32,
      attempts Array(Tuple(
        provider String, model String, status_code Int32, latency_ms Float64,
        error_type Nullable(String), target_path String)),
      guardrails Array(Tuple(
        hook_id String, check_id String, verdict Bool, deny Bool, latency_ms Float64,
        explanation Nullable(String))),
      source_topic LowCardinality(String),
      source_partition UInt32,
      source_offset UInt64,
      ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
      INDEX idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 1,
      INDEX idx_source_offset (source_partition, source_offset) TYPE minmax GRANULARITY 1,
      PROJECTION hourly_rollup (
        SELECT tenant_id, user, model, provider, toStartOfHour(occurred_at),
          count(), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
          sum(cache_write_tokens), sum(reasoning_tokens), sum(cost_nano_usd)
        GROUP BY tenant_id, user, model, provider, toStartOfHour(occurred_at)
      ),
      PROJECTION trace_keys (SELECT trace_id, tenant_id, occurred_at, event_id ORDER BY trace_id),
      PROJECTION otel_trace_keys (SELECT otel_trace_id, tenant_id, occurred_at, event_id ORDER BY otel_trace_id)
    )
    ENGINE = MergeTree
    PARTITION BY toYYYYMM(occurred_at)
    ORDER BY (tenant_id, toStartOfHour(occurred_at), occurred_at, event_id)
    SETTINGS fsync_after_insert = 1, fsync_part_directory = 1, allow_nullable_key = 1`,
  ],
};
