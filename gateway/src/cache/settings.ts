import { optionalString, positiveInt } from "@switchyard/platform";
import { z } from "zod";
import { DEFAULT_CACHE_SETTINGS, type ResponseCacheSettings } from "./response-cache.ts";

/** The response cache's env vars (parsed once in main(), with the gateway's). */
export const CacheEnv = z.object({
  /** Answers and semantic entries in Redis, shared by every replica (e.g. redis://127.0.0.1:6379). */
  REDIS_URL: optionalString,
  SWITCHYARD_CACHE_REDIS_PREFIX: z.string().min(1).default("switchyard:cache:"),
  /** Bound of the in-process store when there is no Redis. */
  SWITCHYARD_CACHE_MAX_BYTES: positiveInt(DEFAULT_CACHE_SETTINGS.maxBytes),
  /** Default cosine similarity a semantic hit needs (a config's cache.similarity_threshold overrides it). */
  SWITCHYARD_CACHE_SIMILARITY_THRESHOLD: z.coerce
    .number()
    .min(0.5)
    .max(1)
    .default(DEFAULT_CACHE_SETTINGS.similarityThreshold),
});
export type CacheEnv = z.infer<typeof CacheEnv>;

export function cacheSettingsFrom(env: CacheEnv): ResponseCacheSettings {
  return {
    maxBytes: env.SWITCHYARD_CACHE_MAX_BYTES,
    similarityThreshold: env.SWITCHYARD_CACHE_SIMILARITY_THRESHOLD,
    redis:
      env.REDIS_URL === undefined
        ? null
        : { url: env.REDIS_URL, prefix: env.SWITCHYARD_CACHE_REDIS_PREFIX, commandTimeoutMs: 500, feedMaxLen: 100_000 },
  };
}
