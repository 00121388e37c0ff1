import type { Migration } from "./migration.ts";

/** The first element of every `record_json` array: which column list follows (a later layout is a new version). */
export const RECORD_JSON_VERSION = 1;

/**
 * The columns `record_json` holds, in order, after the version: every column a stored request's record is rebuilt
 * from (the analytics API's toRequestRecord; analytics-api/src/trace-records.test.ts pins the list), bodies excepted: those
 * have a 30-day column TTL a copy would outlive, and stay columns of their own.
 */
export const RECORD_JSON_COLUMNS = [
  "event_id",
  "schema_version",
  "occurred_at",
  "gateway_instance",
  "tenant_id",
  "api_key_id",
  "virtual_key_id",
  "config_id",
  "trace_id",
  "otel_trace_id",
  "otel_span_id",
  "endpoint",
  "stream",
  "model_requested",
  "model_used",
  "provider",
  "target_path",
  "metadata",
  "user",
  "status_code",
  "error_type",
  "error_message",
  "latency_ms",
  "upstream_latency_ms",
  "ttft_ms",
  "gateway_overhead_ms",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "usage_estimated",
  "cost_nano_usd",
  "cost_input_nano_usd",
  "cost_cached_input_nano_usd",
  "cost_cache_write_nano_usd",
  "cost_output_nano_usd",
  "cost_reasoning_nano_usd",
  "pricing_source",
  "cache_status",
  "retry_count",
  "attempts",
  "guardrails",
  "guardrail_hooks",
  "cache_key",
  "cost_saved_nano_usd",
  "prompt_id",
  "prompt_version",
  "prompt_label",
  "limit_checks",
  "ingested_at",
] as const;

/**
 * Every layout `record_json` was ever written in, by the version its array starts with: what a reader decodes a stored
 * value with. A layout never changes once released (stored rows keep it): a record column added later is a new
 * migration that redefines `record_json` with the next version and its own list, added here beside this one.
 */
export const RECORD_JSON_LAYOUTS: Readonly<Record<number, readonly string[]>> = Object.freeze({
  [RECORD_JSON_VERSION]: RECORD_JSON_COLUMNS,
});

/**
 * `record_json`: each request's record as one JSON array (`[1, event_id, schema_version, …]`), written by the engine
 * from the row's own columns at insert (MATERIALIZED: ingest sends nothing more, and the value is in the same part as
 * its row, committed by the same rename, so exactly-once holds as it does for projections). A trace lookup reads this
 * one column and the four body columns instead of the ~55 columns (~150 files: null maps, array sizes, tuple
 * elements) a record spans; on a 10M-row store each column stream cost ~90 µs of engine CPU whatever the rows, and
 * the lookup fell from ~17-19 to ~7 ms of engine CPU (analytics-trace-probe.ts).
 *
 * The leading version literal keeps the tuple unnamed whatever `enable_named_columns_in_function_tuple` says (a
 * literal is no identifier), so the JSON is always an array. LZ4 (the table's default codec), not ZSTD: ZSTD(1) took
 * 105 instead of 173 bytes a row on disk but cost ingest no less and the lookup ~1.5 ms more to decompress the granule
 * up to the row (see the schema README, "Trace lookup (011)").
 *
 * ADD COLUMN changes no part; MATERIALIZE COLUMN writes the column into existing parts, as a background mutation
 * (10M rows: ~70 s of CPU, 3 min at load 8, on the embedded engine, whose default `mutations_sync = 1` would hold
 * startup that long; a server's default is 0 already). A part it has not reached yet computes the value from its
 * columns when read: right, as slow as before. `replay` re-inserts rows, which computes it. Both statements are
 * idempotent, and a mutation interrupted by a restart resumes.
 */
export const recordJson: Migration = {
  version: 11,
  name: "requests.record_json: the record as one JSON array (trace lookup reads one column)",
  statements: [
    `ALTER TABLE requests ADD COLUMN IF NOT EXISTS record_json String
      MATERIALIZED toJSONString(tuple(${RECORD_JSON_VERSION}, ${RECORD_JSON_COLUMNS.join(", ")}))
      COMMENT 'the record as [${RECORD_JSON_VERSION}, <the columns of migration 011, in order>], for point reads' CODEC(LZ4)`,
    "ALTER TABLE requests MATERIALIZE COLUMN record_json SETTINGS mutations_sync = 0",
  ],
};
