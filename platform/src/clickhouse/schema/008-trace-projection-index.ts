import type { Migration } from "./migration.ts";

/**
 * The trace_keys projection also holds each row's `_part_offset`, which makes it a projection index: on an engine
 * that has those (ClickHouse 26.x, the embedded chdb), `WHERE trace_id = …` reads the projection at the id's granule
 * and then only the table rows at those offsets, with no IN set of sort keys built and seeked first
 * (analytics-api/src/repositories/traces-repository.ts). It keeps the sort-key columns, so an engine without
 * projection indexes (the 25.8 server: whole parts only) still answers the IN-set statement from it, and the
 * gateway's trace directory still reads a trace's tenant from it. Same name, same order: a query that used it still
 * does. otel_trace_keys stays as it was: an OpenTelemetry-shaped id is looked up through the IN-set statement (as a
 * projection index its UNION branch cost more than the set), so offsets there would only cost ingest.
 *
 * Ingest writes one UInt64 more per row (test/bench/analytics-ingest-cost.ts `v007,current`; the engine keeps the
 * offsets through merges). A projection's query cannot be altered: it is dropped and added again. The three steps
 * are idempotent (IF EXISTS / IF NOT EXISTS; a re-run rebuilds the same projection). MATERIALIZE rebuilds it for
 * existing parts as a background mutation (10M rows: ~11 s on the embedded engine); until it has run on a part, a
 * trace lookup reads that part without the projection (right, slower). On an empty table it is a no-op, and
 * `replay` builds it as parts are written.
 */
export const traceProjectionIndex: Migration = {
  version: 8,
  name: "trace_keys projection with _part_offset (a projection index for trace lookup)",
  statements: [
    "ALTER TABLE requests DROP PROJECTION IF EXISTS trace_keys",
    `ALTER TABLE requests ADD PROJECTION IF NOT EXISTS trace_keys
      (SELECT trace_id, tenant_id, occurred_at, event_id, _part_offset ORDER BY trace_id)`,
    "ALTER TABLE requests MATERIALIZE PROJECTION trace_keys",
  ],
};
