import { Redis } from "ioredis";
import type { SemanticEntry } from "./semantic-index.ts";
import type { AnswerStore } from "./store.ts";

export interface RedisCacheSettings {
  url: string;
  /** Prefix of every key this cache writes (answers, the semantic stream). */
  prefix: string;
  /** A command slower than this fails (the request is then served uncached). */
  commandTimeoutMs: number;
  /** Semantic entries kept in the stream (approximate MAXLEN), replayed by a replica that starts. */
  feedMaxLen: number;
}

/** Fast failure while Redis is away: no offline queue, no retried command; reconnects by itself. */
function connect(s: RedisCacheSettings, blocking: boolean): Redis {
  return new Redis(s.url, {
    lazyConnect: false,
    enableOfflineQueue: blocking,
    maxRetriesPerRequest: blocking ? null : 0,
    ...(blocking ? {} : { commandTimeout: s.commandTimeoutMs }),
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  });
}

/** Answers in Redis under `<prefix>answer:<key hash>`, expiring by Redis TTL; shared by every replica. */
export function redisStore(s: RedisCacheSettings, onError: (error: unknown) => void): AnswerStore & RedisFeed {
  const redis = connect(s, false);
  redis.on("error", onError);
  // Until the first connection is up, the first command waits for it (bounded); after that, an outage fails fast.
  let firstReady: Promise<void> | null = new Promise<void>((resolve) => {
    redis.once("ready", () => {
      firstReady = null;
      resolve();
    });
  });
  const usable = async () => {
    if (firstReady === null) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, s.commandTimeoutMs);
    });
    await Promise.race([firstReady, timeout]);
    clearTimeout(timer);
    // Waited once in vain: Redis is down from the start, and later requests fail fast as in any outage.
    firstReady = null;
  };
  const stream = `${s.prefix}semantic`;
  let follower: Redis | null = null;
  let closed = false;
  return {
    kind: "redis",
    async get(key) {
      await usable();
      return redis.getBuffer(`${s.prefix}answer:${key}`);
    },
    async set(key, value, ttlSeconds, semantic) {
      await usable();
      const answerKey = `${s.prefix}answer:${key}`;
      if (!semantic) {
        await redis.set(answerKey, value, "EX", ttlSeconds);
        return;
      }
      // One round trip for the answer and its feed entry (a semantic miss waits on this store).
      const vector = Buffer.from(semantic.vector.buffer, semantic.vector.byteOffset, semantic.vector.byteLength);
      const results = await redis
        .pipeline()
        .set(answerKey, value, "EX", ttlSeconds)
        .xadd(
          stream,
          "MAXLEN",
          "~",
          String(s.feedMaxLen),
          "*",
          "partition",
          semantic.partition,
          "key",
          semantic.key,
          "expiresAt",
          String(semantic.expiresAt),
          "vector",
          vector.toString("base64"),
        )
        .exec();
      for (const [error] of results ?? []) if (error) throw error;
    },
    async delete(key) {
      await redis.del(`${s.prefix}answer:${key}`);
    },
    stats: () => ({ entries: 0, bytes: 0, evictions: 0 }),
    follow(onEntry) {
      follower = connect(s, true);
      follower.on("error", onError);
      const reader = follower;
      void (async () => {
        // From the start of the (bounded) stream: a replica that starts learns the recent entries too.
        let last = "0";
        while (!closed) {
          try {
            const batch = await reader.xreadBuffer("COUNT", 500, "BLOCK", 1_000, "STREAMS", stream, last);
            for (const [, items] of batch ?? []) {
              for (const [id, fields] of items) {
                last = id.toString();
                const entry = entryFrom(fields);
                if (entry) onEntry(entry);
              }
            }
          } catch (error) {
            if (closed) break;
            onError(error);
            // The blocking connection waits for Redis to come back (offline queue); this only paces errors.
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
      })();
    },
    async close() {
      closed = true;
      follower?.disconnect();
      redis.disconnect();
    },
  };
}

/** Semantic entries shared through a Redis stream (written by set()) that every replica follows (within ~1 s). */
export interface RedisFeed {
  follow(onEntry: (entry: SemanticEntry) => void): void;
}

function entryFrom(fields: Buffer[]): SemanticEntry | null {
  const map = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!.toString(), fields[i + 1]!);
  const partition = map.get("partition")?.toString();
  const key = map.get("key")?.toString();
  const expiresAt = Number(map.get("expiresAt")?.toString());
  const raw = map.get("vector");
  if (!partition || !key || !Number.isFinite(expiresAt) || !raw) return null;
  const bytes = Buffer.from(raw.toString(), "base64");
  if (bytes.length % 4 !== 0) return null;
  const vector = new Float32Array(bytes.length / 4);
  new Uint8Array(vector.buffer).set(bytes);
  return { partition, key, expiresAt, vector };
}
