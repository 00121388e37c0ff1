import { LRUCache } from "lru-cache";
import type { AnswerStore, StoreStats } from "./store.ts";

/**
 * The embedded store: in-process, bounded by bytes (key + value), least recently used dropped
 * first, each entry expiring after its own max_age. An entry larger than the whole bound is not kept.
 */
export function memoryStore(maxBytes: number): AnswerStore {
  let evictions = 0;
  const entries = new LRUCache<string, Buffer>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => value.length + key.length,
    dispose: (_value, _key, reason) => {
      if (reason === "evict") evictions += 1;
    },
  });
  return {
    kind: "memory",
    async get(key) {
      return entries.get(key) ?? null;
    },
    async set(key, value, ttlSeconds) {
      entries.set(key, value, { ttl: ttlSeconds * 1000 });
    },
    async delete(key) {
      entries.delete(key);
    },
    stats(): StoreStats {
      return { entries: entries.size, bytes: entries.calculatedSize, evictions };
    },
    async close() {
      entries.clear();
    },
  };
}
