import type { SemanticEntry } from "./semantic-index.ts";

/** Where cached answers live: in-process (memory-store.ts) or Redis (redis-store.ts). Failures throw. */
export interface AnswerStore {
  readonly kind: "memory" | "redis";
  get(key: string): Promise<Buffer | null>;
  /**
   * Stores an answer; with `semantic`, also shares its vector with the other replicas (Redis: the
   * answer and the feed entry in one round trip). The caller adds it to its own index.
   */
  set(key: string, value: Buffer, ttlSeconds: number, semantic?: SemanticEntry | null): Promise<void>;
  delete(key: string): Promise<void>;
  /** What this process knows of the store's size (Redis: what it stored and evicted itself). */
  stats(): StoreStats;
  close(): Promise<void>;
}

export interface StoreStats {
  entries: number;
  bytes: number;
  evictions: number;
}
