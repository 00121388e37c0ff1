import {
  type ClickHouseConfig,
  ClickHouseEnv,
  clickHouseConfigFrom,
  DrainEnv,
  type DrainSettings,
  drainSettingsFrom,
  optionalString,
  port,
} from "@switchyard/platform";
import { z } from "zod";

/** Every env var the standalone analytics API reads, parsed once in main() (the stack reuses it). */
export const AnalyticsEnv = z.object({
  ANALYTICS_PORT: port(8788),
  ANALYTICS_HOST: z.string().default("127.0.0.1"),
  DATA_DIR: z.string().min(1).default("./data"),
  SWITCHYARD_KEYS_FILE: optionalString,
  SWITCHYARD_DEFAULT_TENANT: z.string().min(1).default("default"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** The gateway's URL as a browser reaches it: the console's management pages call it (npm start knows it). */
  SWITCHYARD_GATEWAY_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  ...ClickHouseEnv.shape,
  ...DrainEnv.shape,
});
export type AnalyticsEnv = z.infer<typeof AnalyticsEnv>;

export interface AnalyticsSettings {
  port: number;
  host: string;
  keysFile: string | undefined;
  defaultTenant: string;
  logLevel: AnalyticsEnv["LOG_LEVEL"];
  /** CLICKHOUSE_URL set → server over HTTP, else chdb under DATA_DIR/clickhouse. */
  clickhouse: ClickHouseConfig;
  /** The gateway's URL for the console's management pages; undefined: those pages say it is unknown. */
  gatewayPublicUrl: string | undefined;
  /** How SIGTERM drains open connections before the server closes (platform/src/http/drain.ts). */
  drain: DrainSettings;
}

export function analyticsSettingsFrom(env: AnalyticsEnv): AnalyticsSettings {
  return {
    port: env.ANALYTICS_PORT,
    host: env.ANALYTICS_HOST,
    keysFile: env.SWITCHYARD_KEYS_FILE,
    defaultTenant: env.SWITCHYARD_DEFAULT_TENANT,
    logLevel: env.LOG_LEVEL,
    clickhouse: clickHouseConfigFrom(env, env.DATA_DIR),
    gatewayPublicUrl: env.SWITCHYARD_GATEWAY_PUBLIC_URL,
    drain: drainSettingsFrom(env),
  };
}
