import { hostname } from "node:os";
import { join } from "node:path";
import { BusEnv, nonNegativeInt, optionalString, port, positiveInt } from "@switchyard/platform";
import { z } from "zod";

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
  EVENT_LINGER_MS: nonNegativeInt(5),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ...BusEnv.shape,
});
export type GatewayEnv = z.infer<typeof GatewayEnv>;

export interface GatewayConfig {
  port: number;
  host: string;
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
}

export function gatewayConfigFrom(env: GatewayEnv): GatewayConfig {
  return {
    port: env.GATEWAY_PORT,
    host: env.GATEWAY_HOST,
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
  };
}
