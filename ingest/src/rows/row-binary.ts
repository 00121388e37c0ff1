/**
 * A row's RowBinary bytes, written straight from the decoded event's values into a shared slab, so no
 * JSON text is built on the main thread and the engine reads binary columns instead of parsing JSON
 * (test/bench/probe-file-insert.ts: the format's parse alone RowBinary 2.3-4.3 against 6-7 µs/row).
 *
 * Rows are written one after another into the current slab (SLAB_BYTES); a row is a view of its bytes
 * there, so rows decoded together sit next to each other and a flush hands them to the engine as one range
 * (bodyChunks). A slab lives while any of its rows waits for its insert. A row never straddles two slabs:
 * one that outgrows what is left is written again at the start of a new slab.
 *
 * What must hold: every write matches the column's RowBinary form in the table's column order (strings:
 * LEB128 byte length + UTF-8; integers and floats little-endian; Bool and Nullable's flag one byte; Array and
 * Map: LEB128 count, then the elements). `request-row-binary.test.ts` stores events both ways and compares.
 */

const SLAB_BYTES = 1 << 20;
const TWO_32 = 2 ** 32;

// Empty until the first row: nothing is allocated at import; reserve() takes the first slab.
let slab = Buffer.alloc(0);
/** Numbers are written through a DataView (inlined by V8; Buffer's writeXxLE check their arguments). */
let view = new DataView(slab.buffer, slab.byteOffset, slab.length);
let position = 0;
/** Where the row being written started in `slab`. */
let rowStart = 0;

/** Room for `bytes` more bytes of the row being written: a row that does not fit moves to a fresh slab. */
function reserve(bytes: number): void {
  if (position + bytes <= slab.length) return;
  const written = position - rowStart;
  const next = Buffer.allocUnsafe(Math.max(SLAB_BYTES, 2 * (written + bytes)));
  slab.copy(next, 0, rowStart, position);
  slab = next;
  view = new DataView(slab.buffer, slab.byteOffset, slab.length);
  rowStart = 0;
  position = written;
}

/** Starts a row; `endRow` returns its bytes. */
export function beginRow(): void {
  rowStart = position;
}

/** The bytes written since beginRow: a view of the slab (nothing is copied). */
export function endRow(): Buffer {
  const row = slab.subarray(rowStart, position);
  rowStart = position;
  return row;
}

function varint(value: number): void {
  reserve(5);
  let v = value;
  while (v >= 0x80) {
    slab[position++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  slab[position++] = v;
}

/** The LEB128 size of a length below 2^32. */
const varintSize = (v: number) => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);

/** Strings up to this long are copied by a JS loop when ASCII: cheaper than a call into Buffer.write. */
const SHORT_STRING = 64;

export function writeString(value: string): void {
  const length = value.length;
  if (length < SHORT_STRING) {
    reserve(1 + length);
    const start = position + 1;
    let i = 0;
    for (; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) break;
      slab[start + i] = code;
    }
    if (i === length) {
      slab[position] = length; // < 0x80: one LEB128 byte
      position = start + length;
      return;
    }
  }
  const most = value.length * 3; // UTF-16 code unit → at most 3 UTF-8 bytes
  const guess = varintSize(value.length); // the length prefix if the string is ASCII
  reserve(5 + most);
  const written = slab.write(value, position + guess, most, "utf8");
  const size = varintSize(written);
  if (size !== guess) slab.copyWithin(position + size, position + guess, position + guess + written);
  varint(written); // reserve(5) above covers it: no move between here and the bytes
  position += written;
}

/** Nullable's flag byte: true (1) when `value` is null, then nothing else is written for it. */
function writeNullFlag(value: unknown): value is null | undefined {
  const isNull = value === null || value === undefined;
  writeByte(isNull ? 1 : 0);
  return isNull;
}

export function writeNullableString(value: string | null | undefined): void {
  if (!writeNullFlag(value)) writeString(value);
}

export function writeByte(value: number): void {
  reserve(1);
  slab[position++] = value;
}

export function writeBool(value: boolean): void {
  writeByte(value ? 1 : 0);
}

export function writeUInt16(value: number): void {
  reserve(2);
  view.setUint16(position, value, true);
  position += 2;
}

export function writeUInt32(value: number): void {
  reserve(4);
  view.setUint32(position, value, true);
  position += 4;
}

export function writeInt32(value: number): void {
  reserve(4);
  view.setInt32(position, value, true);
  position += 4;
}

/**
 * An integer-valued double in [−2^63, 2^64) as 64 bits: the low and high words are exact (division by a
 * power of two and floor are exact for doubles), so every JS integer the JSON form could carry is written
 * as the same value. Negative values (DateTime64 before 1970) in two's complement.
 */
export function writeInt64(value: number): void {
  reserve(8);
  const high = Math.floor(value / TWO_32);
  const low = value - high * TWO_32;
  view.setUint32(position, low, true);
  view.setUint32(position + 4, high >>> 0, true);
  position += 8;
}

/** A decimal string (a Kafka offset) as UInt64. */
export function writeUInt64Decimal(value: string): void {
  if (value.length <= 15) {
    writeInt64(Number(value));
    return;
  }
  reserve(8);
  view.setBigUint64(position, BigInt(value), true);
  position += 8;
}

export function writeFloat64(value: number): void {
  reserve(8);
  view.setFloat64(position, value, true);
  position += 8;
}

export function writeNullableFloat64(value: number | null | undefined): void {
  if (!writeNullFlag(value)) writeFloat64(value);
}

export function writeNullableUInt64(value: number | null | undefined): void {
  if (!writeNullFlag(value)) writeInt64(value);
}

export function writeLength(count: number): void {
  varint(count);
}

export function writeStringMap(map: Record<string, string>): void {
  const keys = Object.keys(map);
  varint(keys.length);
  for (const key of keys) {
    writeString(key);
    writeString(map[key]!);
  }
}

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX["0123456789abcdef".charCodeAt(i)] = HEX["0123456789ABCDEF".charCodeAt(i)] = i;

/**
 * A UUID (8-4-4-4-12 hex) as ClickHouse's RowBinary UUID: two UInt64 halves, each little-endian, so each
 * half's 8 bytes are reversed. Returns false for text that is not a UUID (nothing is written then).
 */
export function writeUuid(text: string): boolean {
  if (text.length !== 36) return false;
  reserve(16);
  let byte = 0;
  for (let i = 0; i < 36; ) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (text.charCodeAt(i) !== 0x2d) return false;
      i++;
      continue;
    }
    const hi = HEX[text.charCodeAt(i) & 0x7f]!;
    const lo = HEX[text.charCodeAt(i + 1) & 0x7f]!;
    if (hi < 0 || lo < 0 || text.charCodeAt(i) > 0x7f || text.charCodeAt(i + 1) > 0x7f) return false;
    const target = byte < 8 ? 7 - byte : 23 - byte;
    slab[position + target] = (hi << 4) | lo;
    byte++;
    i += 2;
  }
  position += 16;
  return true;
}

/** Drops the row being written (a value turned out unstorable): its bytes are reused by the next row. */
export function abandonRow(): void {
  position = rowStart;
}
