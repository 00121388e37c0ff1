import { hostname } from "node:os";
import { join } from "node:path";
import {
  BusEnv,
  ControlPlaneEnv,
  type ControlPlaneSettings,
  controlPlaneSettingsFrom,
  csvList,
  DrainEnv,
  type DrainSettings,
  drainSettingsFrom,
  nonNegativeInt,
  optionalString,
  port,
  positiveInt,
} from "@switchyard/platform";
import { z } from "zod";
import type { ResponseCacheSettings } from "./cache/response-cache.ts";
import { CacheEnv, cacheSettingsFrom } from "./cache/settings.ts";
import { LimitsEnv, type LimitsSettings, limitsSettingsFrom } from "./limits/limits-config.ts";
import type { BodyCaptureSettings } from "./pipeline/stages/capture-bodies.ts";

/** Every env var the gateway reads, parsed once in main(). */
export const GatewayEnv = z.object({
  GATEWAY_PORT: port(8787),
  GATEWAY_HOST: z.string().default("127.0.0.1"),
  GATEWAY_BODY_LIMIT_BYTES: positiveInt(10 * 1024 * 1024),
  GATEWAY_INSTANCE: optionalString,
  DATA_DIR: z.string().default("./data"),
  SWITCHYARD_KEYS_FILE: optionalString,
  SWITCHYARD_DEFAULT_TENANT: z.string().min(1).default("default"),
  PRICING_OVERRIDES_FILE: optionalString,
  MOCK_LATENCY_MS: nonNegativeInt(0),
  EVENT_QUEUE_MAX: positiveInt(100_000),
  EVENT_BATCH_MAX: positiveInt(500),
  // Answers wait for their event to be durable: any linger is added to every response (0 = group commit).
  EVENT_LINGER_MS: nonNegativeInt(0),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Enables the admin API (/v1/admin); at least 16 characters. */
  SWITCHYARD_ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, {
    message: "must be at least 16 characters (e.g. `openssl rand -hex 24`)",
  }),
  /** Hosts (exact or *.suffix) and IPs/CIDRs a custom host may point at despite being private. */
  SWITCHYARD_CUSTOM_HOST_ALLOWLIST: csvList,
  /** Circuit breaker: consecutive failures that open a target, and how long it stays open. */
  /** Upstream tries per request, retries and fallbacks together (docs/LIMITS.md). */
  SWITCHYARD_MAX_ATTEMPTS: positiveInt(32),
  SWITCHYARD_BREAKER_FAILURES: positiveInt(5),
  SWITCHYARD_BREAKER_COOLDOWN_MS: positiveInt(30_000),
  /** Prompt/answer logging in request events (on by default, like Portkey); `false` turns it off for all. */
  SWITCHYARD_LOG_BODIES: z.stringbool().default(true),
  SWITCHYARD_LOG_BODIES_MAX_CHARS: positiveInt(65_536),
  /** Tenants whose prompts and answers are never stored. */
  SWITCHYARD_LOG_BODIES_DISABLED_TENANTS: csvList,
  /** Google's OAuth token endpoint for Vertex service accounts (a private proxy, or a fake in tests). */
  SWITCHYARD_VERTEX_TOKEN_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Cap on an audio upload (/v1/audio/transcriptions, /translations): 25 MiB, OpenAI's. */
  SWITCHYARD_MAX_UPLOAD_BYTES: positiveInt(25 * 1024 * 1024),
  /** The web console's origin (scheme://host:port), allowed by CORS; `npm start` sets it to the analytics API's. */
  SWITCHYARD_CONSOLE_ORIGIN: z.url({ protocol: /^https?$/ }).optional(),
  ...ControlPlaneEnv.shape,
  ...DrainEnv.shape,
  ...BusEnv.shape,
  ...CacheEnv.shape,
  ...LimitsEnv.shape,
});
export type GatewayEnv = z.infer<typeof GatewayEnv>;

export interface GatewayConfig {
  port: number;
  host: string;
  /** How SIGTERM drains open connections before the server closes (platform/src/http/drain.ts). */
  drain: DrainSettings;
  bodyLimitBytes: number;
  instance: string;
  dataDir: string;
  spoolDir: string;
  keysFile: string | undefined;
  defaultTenant: string;
  pricingOverridesFile: string | undefined;
  mockLatencyMs: number;
  events: { queueMax: number; batchMax: number; lingerMs: number };
  logLevel: string;
  adminToken: string | undefined;
  /** Master key (vault) and the declarative control-plane file. */
  control: ControlPlaneSettings;
  customHostAllowList: string[];
  breaker: { consecutiveFailures: number; cooldownMs: number };
  maxAttempts: number;
  /** The response cache (cache/README.md). */
  cache: ResponseCacheSettings;
  /** Budgets and rate limits (limits/README.md); REDIS_URL (CacheEnv's) makes them shared. */
  limits: LimitsSettings;
  /** Prompt/answer capture (pipeline/stages/capture-bodies.ts). */
  bodyCapture: BodyCaptureSettings;
  vertexTokenUrl: string | undefined;
  maxUploadBytes: number;
  /** The web console's origin, allowed by CORS (http/console-cors.ts). */
  consoleOrigin: string | undefined;
}

export function gatewayConfigFrom(env: GatewayEnv): GatewayConfig {
  return {
    port: env.GATEWAY_PORT,
    host: env.GATEWAY_HOST,
    drain: drainSettingsFrom(env),
    bodyLimitBytes: env.GATEWAY_BODY_LIMIT_BYTES,
    instance: env.GATEWAY_INSTANCE ?? `${hostname()}-${process.pid}`,
    dataDir: env.DATA_DIR,
    spoolDir: join(env.DATA_DIR, "spool"),
    keysFile: env.SWITCHYARD_KEYS_FILE,
    defaultTenant: env.SWITCHYARD_DEFAULT_TENANT,
    pricingOverridesFile: env.PRICING_OVERRIDES_FILE,
    mockLatencyMs: env.MOCK_LATENCY_MS,
    events: { queueMax: env.EVENT_QUEUE_MAX, batchMax: env.EVENT_BATCH_MAX, lingerMs: env.EVENT_LINGER_MS },
    logLevel: env.LOG_LEVEL,
    adminToken: env.SWITCHYARD_ADMIN_TOKEN,
    control: controlPlaneSettingsFrom(env),
    customHostAllowList: env.SWITCHYARD_CUSTOM_HOST_ALLOWLIST,
    breaker: { consecutiveFailures: env.SWITCHYARD_BREAKER_FAILURES, cooldownMs: env.SWITCHYARD_BREAKER_COOLDOWN_MS },
    maxAttempts: env.SWITCHYARD_MAX_ATTEMPTS,
    cache: cacheSettingsFrom(env),
    limits: limitsSettingsFrom(env),
    vertexTokenUrl: env.SWITCHYARD_VERTEX_TOKEN_URL,
    maxUploadBytes: env.SWITCHYARD_MAX_UPLOAD_BYTES,
    consoleOrigin:
      env.SWITCHYARD_CONSOLE_ORIGIN === undefined ? undefined : new URL(env.SWITCHYARD_CONSOLE_ORIGIN).origin,
    bodyCapture: {
      enabled: env.SWITCHYARD_LOG_BODIES,
      maxChars: env.SWITCHYARD_LOG_BODIES_MAX_CHARS,
      disabledTenants: new Set(env.SWITCHYARD_LOG_BODIES_DISABLED_TENANTS),
    },
  };
}
