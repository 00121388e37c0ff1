import { isAscii } from "node:buffer";

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
  /** Column names, in the order of `line`'s values (one shared array per table). */
  columns: readonly string[];
  /**
   * The row as one JSONCompactEachRow line, encoded when the message is decoded: a row waiting for its
   * insert holds this instead of the event's object graph, which is what kept big batches' garbage
   * collection busy. A mapper makes it a string (a JSON array, no newline); `packRows` turns the lines of
   * rows decoded together into UTF-8 bytes ending in "\n", views into one buffer shared by those rows, so
   * a flush hands contiguous ranges of them to the engine instead of joining and encoding 10,000 strings
   * on the event loop while the engine waits.
   */
  line: string | Buffer;
  /**
   * The insert format of `line`: absent, a JSONCompactEachRow line (string, or its UTF-8 bytes once packed);
   * "RowBinary", the row's binary bytes (row-binary.ts). Every row of a table comes from one mapper, so a
   * chunk's rows share it.
   */
  format?: "RowBinary";
}

/**
 * Replaces the string lines of `rows` (decoded together, e.g. one decode slice) by views into one UTF-8
 * buffer holding all of them, each line followed by "\n". Each line is written straight into the buffer:
 * joining them first and encoding the join cost ~4x more (the join is flattened, then encoded). The
 * buffer is sized for ASCII, the usual case; a slice holding anything else is packed by `packText`.
 */
export function packRows(rows: PendingRow[]): void {
  if (rows.length === 0) return;
  let length = 0;
  for (const row of rows) {
    if (typeof row.line !== "string") {
      packEach(rows);
      return;
    }
    length += row.line.length + 1;
  }
  const bytes = Buffer.allocUnsafe(length);
  let position = 0;
  for (const row of rows) {
    const line = row.line as string;
    // An ASCII line writes exactly its length in bytes; anything else writes more, or stops early.
    const written = bytes.write(line, position, "utf8");
    if (written !== line.length) {
      packText(rows);
      return;
    }
    bytes[position + written] = NEWLINE;
    position += written + 1;
  }
  // A line that stopped early (out of room) can have written exactly its length, but not in ASCII bytes.
  if (!isAscii(bytes)) {
    packText(rows);
    return;
  }
  position = 0;
  for (const row of rows) {
    const end = position + (row.line as string).length + 1;
    row.line = bytes.subarray(position, end);
    position = end;
  }
}

const NEWLINE = 0x0a;

/** packRows for lines that are not all ASCII: one join, one encode, each line's bytes counted. */
function packText(rows: PendingRow[]): void {
  let text = "";
  for (const row of rows) text += `${row.line as string}\n`;
  const bytes = Buffer.from(text, "utf8");
  let position = 0;
  for (const row of rows) {
    const length = Buffer.byteLength(row.line as string, "utf8") + 1;
    row.line = bytes.subarray(position, position + length);
    position += length;
  }
}

/** Rows some of which are packed already: each remaining string line gets its own bytes. */
function packEach(rows: PendingRow[]): void {
  for (const row of rows) if (typeof row.line === "string") row.line = Buffer.from(`${row.line}\n`, "utf8");
}

/**
 * The insert body of `rows`, in order: packed lines that sit next to each other in one buffer become
 * one range (a slice's rows usually do), string lines are encoded here.
 */
export function bodyChunks(rows: readonly PendingRow[]): Buffer[] {
  const chunks: Buffer[] = [];
  let run: Buffer | null = null;
  let runEnd = 0;
  let text = "";
  const endRun = () => {
    if (run !== null) chunks.push(Buffer.from(run.buffer, run.byteOffset, runEnd - run.byteOffset));
    run = null;
  };
  for (const row of rows) {
    const line = row.line;
    if (typeof line === "string") {
      endRun();
      text += `${line}\n`;
      continue;
    }
    if (text !== "") {
      chunks.push(Buffer.from(text, "utf8"));
      text = "";
    }
    if (run !== null && line.buffer === run.buffer && line.byteOffset === runEnd) {
      runEnd += line.length;
      continue;
    }
    endRun();
    run = line;
    runEnd = line.byteOffset + line.length;
  }
  endRun();
  if (text !== "") chunks.push(Buffer.from(text, "utf8"));
  return chunks;
}

/**
 * Turns a mapper's column object (keys = column names, in one fixed order) into the row's columns and
 * line. The names are taken from the first object a mapper builds and shared by every later row.
 */
export function compactRow(
  columnsOf: { names?: readonly string[] },
  values: Record<string, unknown>,
): { columns: readonly string[]; line: string } {
  columnsOf.names ??= Object.freeze(Object.keys(values));
  return { columns: columnsOf.names, line: JSON.stringify(Object.values(values)) };
}

/**
 * A stored event's row: its dedup keys (event_id lowercased, as ClickHouse prints UUIDs), its source
 * coordinates, and its columns + line from `values` (the mapper's column object, source columns included).
 */
export function eventRow(
  columnsOf: { names?: readonly string[] },
  event: { event_id: string; tenant_id: string },
  occurredAt: string,
  source: SourceCoordinates,
  values: Record<string, unknown>,
): RowDecodeResult {
  const { columns, line } = compactRow(columnsOf, values);
  return {
    ok: true,
    row: { eventId: event.event_id.toLowerCase(), occurredAt, tenantId: event.tenant_id, source, columns, line },
  };
}

/**
 * A stored event's row from its values already in column order (`columns`): the line is their JSON
 * array, with no column object to build and copy per event (what eventRow's mappers do).
 */
export function lineRow(
  columns: readonly string[],
  event: { event_id: string; tenant_id: string },
  occurredAt: string,
  source: SourceCoordinates,
  values: unknown[],
): RowDecodeResult {
  const line = JSON.stringify(values);
  return {
    ok: true,
    row: { eventId: event.event_id.toLowerCase(), occurredAt, tenantId: event.tenant_id, source, columns, line },
  };
}

/**
 * `toClickHouseDateTime` for an instant: the canonical ISO form (`YYYY-MM-DDThh:mm:ss.sssZ`, what every
 * producer writes) is rewritten in place without a Date round trip; any other accepted form goes through it.
 */
export function clickHouseInstant(iso: string, slow: (value: string) => string): string {
  if (iso.length === 24 && iso[10] === "T" && iso[19] === "." && iso[23] === "Z") {
    return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  }
  return slow(iso);
}

/** The result of turning one bus message into a row: a row, or the reason it is a dead letter. */
export type RowDecodeResult = { ok: true; row: PendingRow } | { ok: false; reason: string };

// DateTime64 stores 1900-01-01 .. 2299-12-31. The event schema accepts any ISO year, and a row ClickHouse
// rejects would fail its whole batch forever, so such an event is a dead letter instead.
const MIN_STORABLE_MS = Date.UTC(1900, 0, 1);
const MAX_STORABLE_MS = Date.UTC(2300, 0, 1) - 1;

/** Reason an occurred_at cannot be stored, or null when it can. */
export function unstorableTimestamp(iso: string): string | null {
  // The canonical form every producer writes is judged by its year without Date.parse (it ran per event).
  const year = canonicalYear(iso);
  if (year !== null) {
    return year >= 1900 && year <= 2299 ? null : `occurred_at ${iso} is outside 1900-01-01..2299-12-31`;
  }
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return `occurred_at ${iso} is not a valid instant`;
  if (ms < MIN_STORABLE_MS || ms > MAX_STORABLE_MS) return `occurred_at ${iso} is outside 1900-01-01..2299-12-31`;
  return null;
}

/**
 * `YYYY-MM-DDThh:mm:ss.sssZ` with every field in range (month 01-12, day 01-31, hour 00-23, minute and
 * second 00-59). Date.parse takes every such string (a day past the month's end rolls over), so only the
 * year decides whether it is storable; anything else goes to Date.parse.
 */
const CANONICAL_ISO = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** The year of a canonical ISO instant (CANONICAL_ISO), else null. */
function canonicalYear(iso: string): number | null {
  return CANONICAL_ISO.test(iso) ? Number(iso.slice(0, 4)) : null;
}
