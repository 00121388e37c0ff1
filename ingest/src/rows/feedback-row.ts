import { type FeedbackEvent, feedbackIdOf } from "@switchyard/events";
import { toClickHouseDateTime } from "@switchyard/platform";
import {
  clickHouseInstant,
  eventRow,
  type RowDecodeResult,
  type SourceCoordinates,
  unstorableTimestamp,
} from "./pending-row.ts";

/** The `feedback` table's column names, in the order the mapper below lists them. */
const FEEDBACK_COLUMNS: { names?: readonly string[] } = {};

/** FeedbackEvent → `feedback` row (column names as in migrations 002 and 004). */
export function feedbackRow(event: FeedbackEvent, source: SourceCoordinates): RowDecodeResult {
  const problem = unstorableTimestamp(event.occurred_at);
  if (problem !== null) return { ok: false, reason: `unstorable event: ${problem}` };
  const occurredAt = clickHouseInstant(event.occurred_at, toClickHouseDateTime);
  const values = {
    event_id: event.event_id,
    schema_version: event.schema_version,
    occurred_at: occurredAt,
    tenant_id: event.tenant_id,
    trace_id: event.trace_id,
    feedback_id: feedbackIdOf(event),
    value: event.value,
    weight: event.weight,
    metadata: event.metadata,
    source_topic: source.topic,
    source_partition: source.partition,
    source_offset: source.offset,
  };
  return eventRow(FEEDBACK_COLUMNS, event, occurredAt, source, values);
}
