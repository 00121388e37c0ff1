/** Where a message sits on the bus: the identity ingest uses for provenance and audits. */
export interface SourceCoordinates {
  topic: string;
  partition: number;
  /** Decimal string: Kafka offsets are int64. */
  offset: string;
}

/**
 * A decoded event ready for ClickHouse. The dedup keys are pulled out next to the column values:
 * a duplicate (redelivery or producer retry) carries the same event_id, occurred_at and tenant_id.
 */
export interface PendingRow {
  eventId: string;
  /** occurred_at in ClickHouse DateTime64 text form (sorts like the instant it names). */
  occurredAt: string;
  tenantId: string;
  source: SourceCoordinates;
  values: Record<string, unknown>;
}

/** The result of turning one bus message into a row: a row, or the reason it is a dead letter. */
export type RowDecodeResult = { ok: true; row: PendingRow } | { ok: false; reason: string };

// DateTime64 stores 1900-01-01 .. 2299-12-31. The event schema accepts any ISO year, and a row ClickHouse
// rejects would fail its whole batch forever, so such an event is a dead letter instead.
const MIN_STORABLE_MS = Date.UTC(1900, 0, 1);
const MAX_STORABLE_MS = Date.UTC(2300, 0, 1) - 1;

/** Reason an occurred_at cannot be stored, or null when it can. */
export function unstorableTimestamp(iso: string): string | null {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return `occurred_at ${iso} is not a valid instant`;
  if (ms < MIN_STORABLE_MS || ms > MAX_STORABLE_MS) return `occurred_at ${iso} is outside 1900-01-01..2299-12-31`;
  return null;
}
