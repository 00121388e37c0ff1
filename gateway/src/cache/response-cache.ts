import { hash } from "node:crypto";
import { type Logger, type Meter, Metrics } from "@switchyard/platform";
import { LRUCache } from "lru-cache";
import { decodeAnswer, encodeAnswer, type StoredAnswer } from "./answer.ts";
import { type Embedder, minilmEmbedder } from "./embedder.ts";
import type { RemoteEmbedding } from "./embedding-target.ts";
import { memoryStore } from "./memory-store.ts";
import { type RedisCacheSettings, redisStore } from "./redis-store.ts";
import { createSemanticIndex, type SemanticIndex } from "./semantic-index.ts";
import type { AnswerStore } from "./store.ts";

export interface ResponseCacheSettings {
  /** Bound of the in-process store (ignored with Redis). */
  maxBytes: number;
  /** Default semantic threshold (cosine similarity); a config's `similarity_threshold` overrides it. */
  similarityThreshold: number;
  /** Answers and semantic entries in Redis, shared by every replica; null: in-process only. */
  redis: RedisCacheSettings | null;
}

export const DEFAULT_CACHE_SETTINGS: ResponseCacheSettings = {
  maxBytes: 256 * 1024 * 1024,
  // Measured with all-MiniLM-L6-v2 (README.md): paraphrases 0.88–0.96, near misses ≤ 0.87, unrelated ~0.15.
  similarityThreshold: 0.9,
  redis: null,
};

export interface ResponseCacheDeps {
  logger: Pick<Logger, "warn" | "info">;
  meter?: Meter;
  embedder?: Embedder;
}

/** What a lookup found; `unavailable` when the store failed (the request is served uncached). */
export type Lookup = { kind: "found"; answer: StoredAnswer } | { kind: "absent" } | { kind: "unavailable" };

/**
 * The cache as the pipeline stage uses it: exact lookups, semantic neighbours, stores. Store
 * failures (Redis away) never reach the request: they are counted, logged once per outage, and the
 * request goes on uncached; the client reconnects by itself and caching resumes.
 */
export class ResponseCache {
  readonly settings: ResponseCacheSettings;
  readonly embedder: Embedder;
  private readonly store: AnswerStore;
  private readonly feed: ReturnType<typeof redisStore> | null;
  /** Made on first semantic use (semanticIndex()); null until then. */
  private index: SemanticIndex | null = null;
  private indexLoading: Promise<SemanticIndex> | null = null;
  private readonly logger: ResponseCacheDeps["logger"];
  private healthy = true;
  private storeErrors = 0;
  private embedderHealthy = true;
  /**
   * Recent embeddings by the text's SHA-256 (never the text): the same sentence asked in another
   * partition (another tenant, model or parameter), refreshed, or asked again after its answer expired
   * costs a hash instead of a model run (~2 ms of CPU on this box). ~1.6 KB each.
   */
  private readonly vectors = new LRUCache<string, Float32Array>({ max: 4_096 });

  constructor(settings: ResponseCacheSettings, deps: ResponseCacheDeps) {
    this.settings = settings;
    this.logger = deps.logger;
    this.embedder = deps.embedder ?? minilmEmbedder();
    // Connection errors (each reconnect attempt) only mark the outage; failed operations are counted.
    this.feed = settings.redis ? redisStore(settings.redis, (error) => this.unavailable(error)) : null;
    this.store = this.feed ?? memoryStore(settings.maxBytes);
    // An entry another replica stored: failing to index it (the index's addon did not load, a malformed vector)
    // costs this replica semantic hits on it, never the process (an unhandled rejection would end it).
    // Logged once per streak of failures: a follower reading the stream from its start meets every entry.
    let failing = false;
    this.feed?.follow((entry) => {
      this.semanticIndex()
        .then((index) => {
          index.add(entry);
          failing = false;
        })
        .catch((error: unknown) => {
          if (failing) return;
          failing = true;
          this.logger.warn({ err: (error as Error)?.message }, "semantic index: shared entries could not be indexed");
        });
    });
    if (deps.meter) this.observe(deps.meter);
  }

  async get(key: string): Promise<Lookup> {
    let bytes: Buffer | null;
    try {
      bytes = await this.store.get(key);
    } catch (error) {
      this.failed(error);
      return { kind: "unavailable" };
    }
    this.recovered();
    if (bytes === null) return { kind: "absent" };
    const answer = decodeAnswer(bytes);
    if (answer === null) {
      // A stored entry that does not decode is dropped and taken as a miss.
      await this.store.delete(key).catch((error: unknown) => this.failed(error));
      return { kind: "absent" };
    }
    return { kind: "found", answer };
  }

  /**
   * The sentence's embedding; null when it has none (too long) or the model failed — the request
   * then gets the exact lookup only, never an error (logged once per failure streak). With `remote`
   * (`cache.embedding`) the sentence goes to that provider's /v1/embeddings instead of the local model.
   */
  async embed(text: string, remote?: RemoteEmbedding, signal?: AbortSignal): Promise<Float32Array | null> {
    // Each vector space its own entries: one model's vector is never another's. One-shot: the same
    // digest as hashing the id, "\0" and the text in turn, without a Hash object per lookup.
    const id = hash("sha256", remote ? `${remote.id}\0${text}` : text, "base64");
    const known = this.vectors.get(id);
    if (known) return known;
    try {
      const vector = remote
        ? await remote.embed(text, signal ?? AbortSignal.timeout(30_000))
        : await this.embedder.embed(text);
      this.embedderHealthy = true;
      // Shared, never written to: the index and the feed copy what they keep.
      if (vector) this.vectors.set(id, vector);
      return vector;
    } catch (error) {
      if (this.embedderHealthy)
        this.logger.warn(
          { err: (error as Error)?.message, embedding: remote ? "target" : "local" },
          "semantic cache: embedding failed",
        );
      this.embedderHealthy = false;
      return null;
    }
  }

  /** The nearest live answer in `partition` at or above `threshold`. */
  async nearest(
    partition: string,
    vector: Float32Array,
    threshold: number,
  ): Promise<Lookup & { key?: string; similarity?: number }> {
    const index = await this.semanticIndex();
    const match = index.nearest(partition, vector, threshold);
    if (match === null) return { kind: "absent" };
    const found = await this.get(match.key);
    if (found.kind === "absent") index.forget(partition, match.key);
    return { ...found, key: match.key, similarity: match.similarity };
  }

  /** Stores an answer (and its vector, for semantic mode: in this replica's index and the shared feed). */
  async put(
    key: string,
    answer: StoredAnswer,
    ttlSeconds: number,
    semantic: { partition: string; vector: Float32Array } | null,
  ): Promise<void> {
    try {
      const entry = semantic ? { ...semantic, key, expiresAt: answer.storedAt + ttlSeconds * 1000 } : null;
      await this.store.set(key, encodeAnswer(answer), ttlSeconds, entry);
      if (entry) (await this.semanticIndex()).add(entry);
      this.recovered();
    } catch (error) {
      this.failed(error);
    }
  }

  /** Takes back an answer stored by a request that then failed (an output guardrail denied it). */
  async remove(key: string): Promise<void> {
    await this.store.delete(key).catch((error: unknown) => this.failed(error));
  }

  /** Vectors in this replica's semantic index (tests wait on it for the shared feed). */
  semanticEntries(): number {
    return this.index?.size() ?? 0;
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  private semanticIndex(): Promise<SemanticIndex> {
    // 50k vectors of 384 floats: ~77 MB of vectors plus the graphs' links.
    this.indexLoading ??= createSemanticIndex({
      dimensions: this.embedder.dimensions,
      maxPartitions: 10_000,
      maxPerPartition: 10_000,
      maxVectors: 50_000,
    }).then((index) => {
      this.index = index;
      return index;
    });
    return this.indexLoading;
  }

  private failed(error: unknown): void {
    this.storeErrors += 1;
    this.unavailable(error);
  }

  private unavailable(error: unknown): void {
    if (!this.healthy) return;
    this.healthy = false;
    this.logger.warn(
      { err: (error as Error)?.message, store: this.store?.kind },
      "response cache unavailable: serving uncached",
    );
  }

  private recovered(): void {
    if (this.healthy) return;
    this.healthy = true;
    this.logger.info({ store: this.store.kind }, "response cache available again");
  }

  private observe(meter: Meter): void {
    // Hits and misses per request are switchyard.gateway.cache.lookups{switchyard.cache.status} (request telemetry).
    const stats = () => this.store.stats();
    meter
      .createObservableCounter(Metrics.gatewayCacheStoreErrors, {
        description: "Cache store operations that failed (served uncached)",
      })
      .addCallback((r) => r.observe(this.storeErrors));
    meter
      .createObservableCounter(Metrics.gatewayCacheEvictions, {
        description: "Entries the in-process store evicted for room",
      })
      .addCallback((r) => r.observe(stats().evictions));
    meter
      .createObservableGauge(Metrics.gatewayCacheSize, {
        unit: "By",
        description: "Bytes held by the in-process store",
      })
      .addCallback((r) => r.observe(stats().bytes));
    meter
      .createObservableGauge(Metrics.gatewayCacheEntries, { description: "Entries held by the in-process store" })
      .addCallback((r) => r.observe(stats().entries));
    meter
      .createObservableGauge(Metrics.gatewayCacheSemanticEntries, {
        description: "Vectors in this replica's semantic index",
      })
      .addCallback((r) => r.observe(this.index?.size() ?? 0));
  }
}
