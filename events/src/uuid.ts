import { randomFillSync } from "node:crypto";

/**
 * Time-ordered UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, version 7, 74 random bits.
 * Event ids sort by creation time. Random bytes are drawn from a pooled buffer: one
 * randomFillSync per 512 ids instead of one per id (this runs for every gateway request).
 */
const POOL_IDS = 512;
const pool = Buffer.alloc(POOL_IDS * 10);
let poolOffset = pool.length;

function randomBytes10(): Buffer {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + 10);
  poolOffset += 10;
  return bytes;
}

const hex = (b: number) => b.toString(16).padStart(2, "0");

export function newEventId(now: number = Date.now()): string {
  const r = randomBytes10();
  const bytes = new Array<number>(16);
  let ts = now;
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = ts % 256;
    ts = Math.floor(ts / 256);
  }
  bytes[6] = 0x70 | (r[0]! & 0x0f);
  bytes[7] = r[1]!;
  bytes[8] = 0x80 | (r[2]! & 0x3f);
  for (let i = 9; i < 16; i += 1) bytes[i] = r[i - 6]!;
  const h = bytes.map(hex).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
