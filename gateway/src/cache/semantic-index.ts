import { LRUCache } from "lru-cache";
import type { Index } from "usearch";

type Usearch = typeof import("usearch");

/** A semantic index, usearch imported on first use (a gateway without semantic caching never loads it). */
export async function createSemanticIndex(options: SemanticIndexOptions): Promise<SemanticIndex> {
  return new SemanticIndex(options, await import("usearch"));
}

/** One vector to remember: the answer's exact key, in its partition, until `expiresAt` (epoch ms). */
export interface SemanticEntry {
  partition: string;
  key: string;
  vector: Float32Array;
  expiresAt: number;
}

export interface SemanticMatch {
  key: string;
  similarity: number;
}

export interface SemanticIndexOptions {
  /**
   * The local model's vector length: with `maxVectors` it sets the memory bound (maxVectors ×
   * dimensions floats). A partition takes the length of its first vector (an embedding target's
   * model may give 1,536), and a longer vector counts for more of the bound.
   */
  dimensions: number;
  /** Partitions kept (least recently used dropped first). */
  maxPartitions: number;
  /** Vectors per partition (the oldest dropped first). */
  maxPerPartition: number;
  /** Vectors in all (the least recently used partition's oldest dropped first): the memory bound. */
  maxVectors: number;
  now?: () => number;
}

interface Partition {
  index: Index;
  dimensions: number;
  /** usearch label → entry, in insertion order (the oldest first, for eviction). */
  byLabel: Map<bigint, { key: string; expiresAt: number }>;
  labelOf: Map<string, bigint>;
}

/**
 * Nearest-neighbour search over sentence embeddings, one usearch HNSW index per partition (tenant,
 * namespace, endpoint, provider, model, every other parameter), so a neighbour is only ever found
 * among requests that differ in the embedded text alone. Bounded in partitions and per partition;
 * expired vectors are skipped at lookup and dropped. Cosine similarity = 1 − usearch's cos distance.
 */
export class SemanticIndex {
  private readonly options: SemanticIndexOptions;
  private readonly partitions: LRUCache<string, Partition>;
  private nextLabel = 1n;
  private total = 0;
  /** Floats held across every partition: the memory bound. */
  private floats = 0;
  private readonly now: () => number;
  private readonly usearch: Usearch;

  constructor(options: SemanticIndexOptions, usearch: Usearch) {
    this.options = options;
    this.usearch = usearch;
    this.now = options.now ?? Date.now;
    this.partitions = new LRUCache({
      max: options.maxPartitions,
      dispose: (p) => {
        this.total -= p.byLabel.size;
        this.floats -= p.byLabel.size * p.dimensions;
      },
    });
  }

  /** Adds (or refreshes) an entry; idempotent per key, so a replica may see its own entries again. */
  add(entry: SemanticEntry): void {
    const dimensions = entry.vector.length;
    let p = this.partitions.get(entry.partition);
    // A partition is one vector space; a vector of another length (a changed `dimensions`) is not comparable.
    if (p && p.dimensions !== dimensions) return;
    if (!p) {
      p = {
        dimensions,
        // Half-precision vectors: a lookup runs right after an embedding has pushed the index out of
        // the CPU caches, and f16 halves the bytes a search reads (~190 → ~130 µs in situ for 2,000
        // vectors; top-1 and hit decisions at 0.9 unchanged over 9,600 vectors, similarity within
        // 4e-5 — README.md "Embedding cost"). Default search expansion: a smaller one lost hits.
        index: new this.usearch.Index(dimensions, this.usearch.MetricKind.Cos, this.usearch.ScalarKind.F16, 16),
        byLabel: new Map(),
        labelOf: new Map(),
      };
      this.partitions.set(entry.partition, p);
    }
    const existing = p.labelOf.get(entry.key);
    if (existing !== undefined) this.drop(p, existing);
    while (p.byLabel.size >= this.options.maxPerPartition) {
      const oldest = p.byLabel.keys().next().value;
      if (oldest === undefined) break;
      this.drop(p, oldest);
    }
    const bound = this.options.maxVectors * this.options.dimensions;
    while (this.total > 0 && (this.total >= this.options.maxVectors || this.floats + dimensions > bound))
      this.dropLeastRecent();
    // Room made by draining this very partition (long vectors, every other partition gone) took it out.
    if (!this.partitions.has(entry.partition)) this.partitions.set(entry.partition, p);
    const label = this.nextLabel++;
    p.index.add(label, entry.vector);
    p.byLabel.set(label, { key: entry.key, expiresAt: entry.expiresAt });
    p.labelOf.set(entry.key, label);
    this.total += 1;
    this.floats += dimensions;
  }

  /** The most similar live entry at or above `threshold`, or null. */
  nearest(partition: string, vector: Float32Array, threshold: number): SemanticMatch | null {
    const p = this.partitions.get(partition);
    if (!p || p.byLabel.size === 0 || p.dimensions !== vector.length) return null;
    const matches = p.index.search(vector, Math.min(4, p.byLabel.size), 1);
    const now = this.now();
    for (let i = 0; i < matches.keys.length; i++) {
      const label = matches.keys[i]!;
      const entry = p.byLabel.get(label);
      if (!entry) continue;
      if (entry.expiresAt <= now) {
        this.drop(p, label);
        continue;
      }
      const similarity = 1 - matches.distances[i]!;
      return similarity >= threshold ? { key: entry.key, similarity } : null;
    }
    return null;
  }

  /** Forgets an entry whose answer is gone (expired or evicted from the store). */
  forget(partition: string, key: string): void {
    const p = this.partitions.get(partition);
    const label = p?.labelOf.get(key);
    if (p && label !== undefined) this.drop(p, label);
  }

  /** Vectors held across every partition. */
  size(): number {
    return this.total;
  }

  private drop(p: Partition, label: bigint): void {
    const entry = p.byLabel.get(label);
    if (!entry) return;
    p.labelOf.delete(entry.key);
    p.byLabel.delete(label);
    p.index.remove(label);
    this.total -= 1;
    this.floats -= p.dimensions;
  }

  /** The oldest vector of the least recently used partition (the partition itself once empty). */
  private dropLeastRecent(): void {
    const name = this.partitions.rkeys().next().value;
    if (name === undefined) return;
    const p = this.partitions.peek(name);
    const oldest = p?.byLabel.keys().next().value;
    if (p && oldest !== undefined) this.drop(p, oldest);
    if (!p || p.byLabel.size === 0) this.partitions.delete(name);
  }
}
