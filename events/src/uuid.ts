import { randomFillSync } from "node:crypto";

/**
 * Time-ordered UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, version 7, 74 random bits.
 * Event ids sort by creation time (to the millisecond; ids of one millisecond are in random order).
 * This runs for every gateway request, so it allocates nothing but the result: random bytes come
 * from a pooled buffer refilled in bulk (one randomFillSync per 512 ids), the 36 characters are
 * written as ASCII into one reused buffer and read out as a single flat string (no per-byte strings,
 * no joins or slices, and no cons-string for the JSON encoder to flatten later).
 */
const POOL_IDS = 512;
const RANDOM_BYTES = 10;
const pool = Buffer.alloc(POOL_IDS * RANDOM_BYTES);
let poolOffset = pool.length;

const out = Buffer.alloc(36);
const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");
const DASH = 0x2d;
const TWO_POW_32 = 2 ** 32;

function putByte(at: number, byte: number): void {
  out[at] = HEX_DIGITS[byte >>> 4] as number;
  out[at + 1] = HEX_DIGITS[byte & 0x0f] as number;
}

export function newEventId(now: number = Date.now()): string {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += RANDOM_BYTES;
  // 48-bit big-endian timestamp as two integers (bit operators work on 32 bits only).
  const high = Math.floor(now / TWO_POW_32);
  const low = now >>> 0;
  putByte(0, (high >>> 8) & 0xff);
  putByte(2, high & 0xff);
  putByte(4, low >>> 24);
  putByte(6, (low >>> 16) & 0xff);
  out[8] = DASH;
  putByte(9, (low >>> 8) & 0xff);
  putByte(11, low & 0xff);
  out[13] = DASH;
  putByte(14, 0x70 | ((pool[r] as number) & 0x0f)); // version 7
  putByte(16, pool[r + 1] as number);
  out[18] = DASH;
  putByte(19, 0x80 | ((pool[r + 2] as number) & 0x3f)); // variant 10
  putByte(21, pool[r + 3] as number);
  out[23] = DASH;
  for (let i = 0; i < 6; i += 1) putByte(24 + 2 * i, pool[r + 4 + i] as number);
  return out.toString("latin1", 0, 36);
}
