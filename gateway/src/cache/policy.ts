import { type HeaderBag, headerValue } from "../http/portkey-headers.ts";
import type { CachePolicy } from "../routing/index.ts";

/** Portkey's default max_age: 7 days, in seconds. */
export const DEFAULT_MAX_AGE_SECONDS = 604_800;

/** One attempt's cache settings: its leaf's `cache` config (target wins over top level) and the request's headers. */
export interface AttemptCachePolicy {
  mode: "simple" | "semantic";
  maxAgeSeconds: number;
  similarityThreshold: number;
  /** `x-portkey-cache-force-refresh: true` — the value, not the header's presence (the SDK sends "false"). */
  forceRefresh: boolean;
  /** `x-portkey-cache-namespace`: partitions entries by this string instead of the metadata. */
  namespace: string | null;
}

export function attemptPolicy(leaf: CachePolicy, headers: HeaderBag, defaultThreshold: number): AttemptCachePolicy {
  const namespace = headerValue(headers, "x-portkey-cache-namespace")?.trim();
  return {
    mode: leaf.mode,
    // Redis and the LRU take whole seconds; a fractional max_age rounds up.
    maxAgeSeconds: Math.ceil(leaf.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS),
    similarityThreshold: leaf.similarityThreshold ?? defaultThreshold,
    forceRefresh: headerValue(headers, "x-portkey-cache-force-refresh")?.trim().toLowerCase() === "true",
    namespace: namespace ? namespace : null,
  };
}
