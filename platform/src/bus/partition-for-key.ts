/**
 * Kafka's default partitioner for keyed records: murmur2 over the key's UTF-8 bytes, made
 * positive, modulo the partition count (Java client `Utils.murmur2` / `toPositive`, which
 * kafkajs' DefaultPartitioner reproduces). The embedded log uses the same function, so a key
 * lands on the same partition number with either bus.
 */
export function murmur2(data: Uint8Array, length = data.length): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

export function partitionForKey(key: string, partitions: number): number {
  // Any hash modulo 1 is 0: the embedded log's default single partition skips hashing.
  if (partitions === 1) return 0;
  const hash = copyAscii(key) ? murmur2(scratch, key.length) : murmur2(Buffer.from(key, "utf8"));
  return (hash & 0x7fffffff) % partitions;
}

/*
 * Keys are hashed per published record: an ASCII key (trace ids are hex) is copied into a reused
 * scratch array, whose first key.length bytes are then its UTF-8 encoding, instead of allocating
 * a Buffer per record. Any other key is encoded by Buffer.from.
 */
let scratch = new Uint8Array(64);

function copyAscii(key: string): boolean {
  if (key.length > scratch.length) scratch = new Uint8Array(Math.max(key.length, scratch.length * 2));
  for (let i = 0; i < key.length; i += 1) {
    const code = key.charCodeAt(i);
    if (code > 0x7f) return false;
    scratch[i] = code;
  }
  return true;
}
