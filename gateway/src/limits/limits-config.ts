import { positiveInt } from "@switchyard/platform";
import { z } from "zod";
import type { FailMode } from "./limiter.ts";

/** The limits' env vars (REDIS_URL itself is GatewayEnv's: the cache shares it). Parsed once in main(). */
export const LimitsEnv = z.object({
  /** Redis unreachable: `fail_open` keeps enforcing with per-replica counters, `fail_closed` refuses (429). */
  SWITCHYARD_LIMITS_FAIL_MODE: z.enum(["fail_open", "fail_closed"]).default("fail_open"),
  /** Output tokens reserved for a request that sets no max_tokens / max_completion_tokens. */
  SWITCHYARD_LIMITS_DEFAULT_MAX_OUTPUT_TOKENS: positiveInt(4096),
  /** A reservation whose request never settles (its process died) is released after this long. */
  SWITCHYARD_LIMITS_RESERVATION_TTL_MS: positiveInt(600_000),
  SWITCHYARD_LIMITS_REDIS_PREFIX: z.string().min(1).max(200).default("switchyard:limits:"),
  /** A Redis call not answered within this long counts as Redis unreachable. */
  SWITCHYARD_LIMITS_REDIS_TIMEOUT_MS: positiveInt(250),
  /**
   * Redis: a settlement waits at most this long for the next reservation to carry it (one round
   * trip per request); also the most a crashed replica's answered requests can go unsettled.
   */
  SWITCHYARD_LIMITS_SETTLE_DELAY_MS: positiveInt(50),
});
export type LimitsEnv = z.infer<typeof LimitsEnv>;

export interface LimitsSettings {
  /** null: embedded (in-process counters). */
  redisUrl: string | null;
  redisPrefix: string;
  redisTimeoutMs: number;
  failMode: FailMode;
  defaultOutputCap: number;
  reservationTtlMs: number;
  settleDelayMs: number;
}

export function limitsSettingsFrom(env: LimitsEnv & { REDIS_URL?: string | undefined }): LimitsSettings {
  return {
    redisUrl: env.REDIS_URL ?? null,
    redisPrefix: env.SWITCHYARD_LIMITS_REDIS_PREFIX,
    redisTimeoutMs: env.SWITCHYARD_LIMITS_REDIS_TIMEOUT_MS,
    failMode: env.SWITCHYARD_LIMITS_FAIL_MODE === "fail_open" ? "open" : "closed",
    defaultOutputCap: env.SWITCHYARD_LIMITS_DEFAULT_MAX_OUTPUT_TOKENS,
    reservationTtlMs: env.SWITCHYARD_LIMITS_RESERVATION_TTL_MS,
    settleDelayMs: env.SWITCHYARD_LIMITS_SETTLE_DELAY_MS,
  };
}

/** Embedded defaults (tests and apps built without env). */
export const DEFAULT_LIMITS_SETTINGS: LimitsSettings = limitsSettingsFrom(LimitsEnv.parse({}));
