import type { Migration } from "./migration.ts";

/**
 * Fewer derived structures per insert. Every aggregate projection is a part of its own inside each insert's
 * part (its own GROUP BY, files, checksums and fsyncs) and is merged again by every background merge: at the
 * ~700-row inserts of a busy embedded stack (200 ms flushes) that fixed cost, not the aggregates or the
 * t-digest states, was most of ingest's engine CPU (test/bench/analytics-ingest-cost.ts: the five rollups of
 * 003 ~110 of ~200 µs per event; the same five without t-digest states cost as much; at 5,000-row inserts
 * the whole insert is ~70 µs per event).
 *
 * - rollup_daily_keys and rollup_daily_prompts go: breakdowns by API key, virtual key, config or prompt read
 *   the rows (pruned by tenant and time through the sort key). No read target depends on them; the
 *   low-cardinality rollups (hourly, daily) and the per-user one stay, because the tenant, model and user
 *   breakdowns over 30 days do (analytics-api/src/breakdown/dimensions.ts picks the source).
 * - idx_status (minmax on status_code) goes: errors are spread through every granule, so it never skipped
 *   one (EXPLAIN of an error search: 248/248 granules kept) while every insert and merge built it.
 *
 * Dropping a projection or an index removes its files from existing parts; nothing is rebuilt, and `replay`
 * builds exactly what is left. Both statements are idempotent (IF EXISTS).
 */
export const leanRollups: Migration = {
  version: 6,
  name: "drop the keys and prompts rollups and the status minmax index (cost per insert, no read pays for them)",
  statements: [
    "ALTER TABLE requests DROP PROJECTION IF EXISTS rollup_daily_keys",
    "ALTER TABLE requests DROP PROJECTION IF EXISTS rollup_daily_prompts",
    "ALTER TABLE requests DROP INDEX IF EXISTS idx_status",
  ],
};
