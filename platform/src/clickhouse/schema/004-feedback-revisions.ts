import type { Migration } from "./migration.ts";

/**
 * Feedback can be updated (PUT /v1/feedback/{id}): every write is a row, and the latest row of a
 * feedback id is the one that counts.
 *
 * - `feedback_id` column; rows written before it existed get their own event id (each was its own
 *   feedback).
 * - `feedback_current`: one row per (tenant, feedback id), the latest revision's trace, value,
 *   weight and metadata (latest by occurred_at, then event_id). Analytics reads feedback through
 *   it, joined to requests on (tenant_id, trace_id): feedback a tenant wrote about another
 *   tenant's trace never joins anything.
 */
export const addFeedbackRevisions: Migration = {
  version: 4,
  name: "feedback ids and the latest revision per feedback id",
  statements: [
    `ALTER TABLE feedback ADD COLUMN IF NOT EXISTS feedback_id String DEFAULT toString(event_id) AFTER trace_id`,
    `CREATE VIEW IF NOT EXISTS feedback_current AS
      SELECT
        tenant_id,
        feedback_id,
        argMax(trace_id, (occurred_at, event_id)) AS trace_id,
        argMax(value, (occurred_at, event_id)) AS value,
        argMax(weight, (occurred_at, event_id)) AS weight,
        argMax(metadata, (occurred_at, event_id)) AS metadata,
        min(occurred_at) AS first_at,
        max(occurred_at) AS last_at,
        count() AS revisions
      FROM feedback
      GROUP BY tenant_id, feedback_id`,
  ],
};
