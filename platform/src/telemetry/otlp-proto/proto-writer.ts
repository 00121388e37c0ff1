/**
 * A minimal protobuf writer for OTLP: one growable buffer, written in a single pass. A length-delimited
 * message reserves one length byte and, when its content turns out longer than 127 bytes, shifts the
 * content right to make room for the longer varint, so every length is encoded minimally (what any
 * protobuf encoder produces). Strings are ASCII-fast-pathed: attribute keys, ids and most values are.
 */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  ensure(bytes: number): void {
    const needed = this.pos + bytes;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Unsigned varint for 0 ≤ value < 2^32 (tags, lengths, counts, enums). */
  uint32(value: number): void {
    this.ensure(5);
    let v = value >>> 0;
    while (v > 127) {
      this.buf[this.pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  /** int64 varint of a safe integer; negatives as 10-byte two's complement (protobuf int64). */
  int64(value: number): void {
    if (value >= 0 && value <= 0xffffffff) {
      this.uint32(value);
      return;
    }
    this.ensure(10);
    let low: number;
    let high: number;
    const abs = Math.abs(value);
    low = abs >>> 0;
    high = (abs / 4294967296) >>> 0;
    if (value < 0) {
      low = ~low >>> 0;
      high = ~high >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 127) {
      this.buf[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    this.buf[this.pos++] = low & 127;
  }

  tag(field: number, wireType: 0 | 1 | 2 | 5): void {
    this.uint32((field << 3) | wireType);
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(low >>> 0, this.pos);
    this.buf.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  /** An OTel HrTime [seconds, nanoseconds] as fixed64 nanoseconds since the epoch, exactly (> 2^53). */
  hrTime(time: readonly [number, number]): void {
    const seconds = time[0];
    // seconds·1e9 + nanos = sHigh·1e9·2^16 + (sLow·1e9 + nanos); each product stays below 2^53.
    const a = Math.floor(seconds / 65536) * 1e9;
    const b = (seconds % 65536) * 1e9 + time[1];
    const aLow = ((a % 65536) * 65536) >>> 0;
    const aHigh = Math.floor(a / 65536);
    const lowSum = aLow + (b % 4294967296);
    this.fixed64(lowSum >>> 0, aHigh + Math.floor(b / 4294967296) + Math.floor(lowSum / 4294967296));
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  bytes(value: Uint8Array): void {
    this.uint32(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** Length-prefixed UTF-8. */
  string(value: string): void {
    const length = value.length;
    if (length < 128) {
      // ASCII (the usual case): one length byte, then a byte per char; else fall through to native.
      this.ensure(length + 1);
      const start = this.pos;
      let p = start + 1;
      let ascii = true;
      for (let i = 0; i < length; i++) {
        const c = value.charCodeAt(i);
        if (c > 127) {
          ascii = false;
          break;
        }
        this.buf[p++] = c;
      }
      if (ascii) {
        this.buf[start] = length;
        this.pos = p;
        return;
      }
    }
    const byteLength = Buffer.byteLength(value, "utf8");
    this.uint32(byteLength);
    this.ensure(byteLength);
    this.pos += this.buf.write(value, this.pos, byteLength, "utf8");
  }

  /** A hex id (trace or span id) as its raw bytes, length-prefixed; malformed hex digits read as 0. */
  hexBytes(hex: string): void {
    const length = hex.length >>> 1;
    this.ensure(length + 1);
    this.buf[this.pos++] = length;
    for (let i = 0; i < length; i++) {
      this.buf[this.pos++] = (hexDigit(hex.charCodeAt(2 * i)) << 4) | hexDigit(hex.charCodeAt(2 * i + 1));
    }
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Starts a length-delimited message: returns the mark to pass to end(). */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Ends the message begun at `mark`: writes its length, moving the content if the length needs > 1 byte. */
  end(mark: number): void {
    const length = this.pos - mark - 1;
    if (length < 128) {
      this.buf[mark] = length;
      return;
    }
    const extra = length < 16384 ? 1 : length < 2097152 ? 2 : length < 268435456 ? 3 : 4;
    this.ensure(extra);
    this.buf.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    this.pos += extra;
    let v = length;
    let p = mark;
    while (v > 127) {
      this.buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buf[p] = v;
  }

  /** A copy of what was written (the writer's buffer is reused). */
  copy(from = 0, to = this.pos): Buffer {
    return Buffer.from(this.buf.subarray(from, to));
  }

  reset(): void {
    this.pos = 0;
  }
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return 0;
}
