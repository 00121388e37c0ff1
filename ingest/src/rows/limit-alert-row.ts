import type { LimitAlertEvent } from "@switchyard/events";
import { toClickHouseDateTime } from "@switchyard/platform";
import {
  clickHouseInstant,
  eventRow,
  type RowDecodeResult,
  type SourceCoordinates,
  unstorableTimestamp,
} from "./pending-row.ts";

/** The `limit_alerts` table's column names, in the order the mapper below lists them. */
const LIMIT_ALERT_COLUMNS: { names?: readonly string[] } = {};

/** LimitAlertEvent → `limit_alerts` row (column names as in migration 005). */
export function limitAlertRow(event: LimitAlertEvent, source: SourceCoordinates): RowDecodeResult {
  const problem =
    unstorableTimestamp(event.occurred_at) ??
    unstorableTimestamp(event.period_start) ??
    (event.period_end === null ? null : unstorableTimestamp(event.period_end));
  if (problem !== null) return { ok: false, reason: `unstorable event: ${problem}` };
  const occurredAt = clickHouseInstant(event.occurred_at, toClickHouseDateTime);
  const values = {
    event_id: event.event_id,
    schema_version: event.schema_version,
    occurred_at: occurredAt,
    gateway_instance: event.gateway_instance,
    tenant_id: event.tenant_id,
    limit_id: event.limit_id,
    policy_id: event.policy_id,
    metric: event.metric,
    credit_limit: event.credit_limit,
    alert_threshold: event.alert_threshold,
    spend: event.spend,
    period_start: clickHouseInstant(event.period_start, toClickHouseDateTime),
    period_end: event.period_end === null ? null : clickHouseInstant(event.period_end, toClickHouseDateTime),
    source_topic: source.topic,
    source_partition: source.partition,
    source_offset: source.offset,
  };
  return eventRow(LIMIT_ALERT_COLUMNS, event, occurredAt, source, values);
}
