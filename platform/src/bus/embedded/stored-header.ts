/** What the log stores per record besides the value (short keys: it is repeated per record). */
export interface StoredHeader {
  /** Offset, stored so a scan can verify it reads the record it expects. */
  o: number;
  /** Append time, ms since epoch. */
  t: number;
  k: string | null;
  h?: Record<string, string>;
}

export function isStoredHeader(value: unknown): value is StoredHeader {
  if (typeof value !== "object" || value === null) return false;
  const h = value as Record<string, unknown>;
  return (
    typeof h.o === "number" &&
    typeof h.t === "number" &&
    (h.k === null || typeof h.k === "string") &&
    (h.h === undefined || (typeof h.h === "object" && h.h !== null))
  );
}

/*
 * Reads a record's StoredHeader straight from the segment's bytes. Every header the log writes comes
 * from storedHeaderJson: `{"o":<int>,"t":<int>,"k":null|"<string>"}`, or the same with `,"h":{...}`
 * before the closing brace. That form is read field by field (no JSON.parse of the whole header, and
 * no string of it): this runs for every record a consumer reads and every record a scan indexes. A key
 * holding an escape, a number that is not a plain safe integer, or anything else falls back to
 * JSON.parse, so the result is the same as JSON.parse of the header whatever the bytes hold.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE = 0x7d;
const COMMA = 0x2c;

/** `{"o":` then `,"t":`, `,"k":`, `,"h":` as bytes. */
const O_FIELD = Buffer.from('{"o":');
const T_FIELD = Buffer.from(',"t":');
const K_FIELD = Buffer.from(',"k":');
const H_FIELD = Buffer.from(',"h":');
const NULL = Buffer.from("null");

function startsWith(bytes: Buffer, at: number, literal: Buffer): boolean {
  if (at + literal.length > bytes.length) return false;
  for (let i = 0; i < literal.length; i++) if (bytes[at + i] !== literal[i]) return false;
  return true;
}

/** A non-negative integer of 1-15 digits (so a safe integer) without leading zeros; -1 if none. */
function digitsEnd(bytes: Buffer, at: number, end: number): number {
  let i = at;
  while (i < end && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) i++;
  const count = i - at;
  if (count === 0 || count > 15 || (count > 1 && bytes[at] === 0x30)) return -1;
  return i;
}

function intOf(bytes: Buffer, at: number, to: number): number {
  let value = 0;
  for (let i = at; i < to; i++) value = value * 10 + (bytes[i]! - 0x30);
  return value;
}

/** The parsed header of bytes [start, end), or undefined when they are not JSON (a corrupt header). */
export function parseStoredHeader(bytes: Buffer, start: number, end: number): unknown {
  const fast = storedHeaderFast(bytes, start, end);
  if (fast !== null) return fast;
  try {
    return JSON.parse(bytes.toString("utf8", start, end));
  } catch {
    return undefined;
  }
}

function storedHeaderFast(bytes: Buffer, start: number, end: number): StoredHeader | null {
  if (!startsWith(bytes, start, O_FIELD)) return null;
  let at = start + O_FIELD.length;
  const oEnd = digitsEnd(bytes, at, end);
  if (oEnd < 0 || !startsWith(bytes, oEnd, T_FIELD)) return null;
  const o = intOf(bytes, at, oEnd);
  at = oEnd + T_FIELD.length;
  const tEnd = digitsEnd(bytes, at, end);
  if (tEnd < 0 || !startsWith(bytes, tEnd, K_FIELD)) return null;
  const t = intOf(bytes, at, tEnd);
  at = tEnd + K_FIELD.length;
  let k: string | null;
  if (startsWith(bytes, at, NULL)) {
    k = null;
    at += NULL.length;
  } else {
    if (bytes[at] !== QUOTE) return null;
    const from = at + 1;
    let i = from;
    // Without a backslash a JSON string's bytes are its UTF-8 text (JSON.stringify escapes control characters).
    while (i < end && bytes[i] !== QUOTE) {
      if (bytes[i] === BACKSLASH) return null;
      i++;
    }
    if (i >= end) return null;
    k = bytes.toString("utf8", from, i);
    at = i + 1;
  }
  if (at === end - 1 && bytes[at] === CLOSE) return { o, t, k };
  if (!startsWith(bytes, at, H_FIELD) || bytes[end - 1] !== CLOSE || bytes[at] !== COMMA) return null;
  let h: unknown;
  try {
    h = JSON.parse(bytes.toString("utf8", at + H_FIELD.length, end - 1));
  } catch {
    return null;
  }
  if (typeof h !== "object" || h === null || Array.isArray(h)) return null;
  return { o, t, k, h: h as Record<string, string> };
}
