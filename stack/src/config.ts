import { AnalyticsEnv, analyticsSettingsFrom } from "@switchyard/analytics-api";
import { type GatewayConfig, GatewayEnv, gatewayConfigFrom } from "@switchyard/gateway";
import { type IngestConfig, IngestEnv, ingestSettingsFrom } from "@switchyard/ingest";
import { type BusConfig, busConfigFrom, type ClickHouseConfig } from "@switchyard/platform";
import { z } from "zod";

export const ServiceName = z.enum(["gateway", "ingest", "analytics"]);
export type ServiceName = z.infer<typeof ServiceName>;

/** Every env var the one-process stack reads: each service's own schema, plus which services to run. */
export const StackEnv = GatewayEnv.extend({
  ...IngestEnv.shape,
  ...AnalyticsEnv.shape,
  SWITCHYARD_SERVICES: z
    .string()
    .default("gateway,ingest,analytics")
    .transform((v, ctx) => {
      const names = v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const parsed = z.array(ServiceName).min(1).safeParse(names);
      if (!parsed.success) {
        ctx.addIssue({ code: "custom", message: `must list some of ${ServiceName.options.join(", ")}` });
        return z.NEVER;
      }
      return new Set(parsed.data);
    }),
})
  // Loose: the rest of the environment is kept for `${VAR}` references in SWITCHYARD_CONFIG_FILE.
  .loose();
export type StackEnv = z.infer<typeof StackEnv>;

export interface StackConfig {
  services: Set<ServiceName>;
  gateway: GatewayConfig;
  analytics: { port: number; host: string; gatewayPublicUrl: string | undefined };
  ingest: IngestConfig;
  bus: BusConfig;
  clickhouse: ClickHouseConfig;
  /** The environment `${VAR}` references in the declarative control-plane file resolve from. */
  referenceEnv: Readonly<Record<string, string | undefined>>;
}

export function stackConfigFrom(env: StackEnv): StackConfig {
  const analytics = analyticsSettingsFrom(env);
  return {
    services: env.SWITCHYARD_SERVICES,
    gateway: gatewayConfigFrom(env),
    analytics: { port: analytics.port, host: analytics.host, gatewayPublicUrl: analytics.gatewayPublicUrl },
    ingest: ingestSettingsFrom(env).ingest,
    bus: busConfigFrom(env, env.DATA_DIR),
    clickhouse: analytics.clickhouse,
    referenceEnv: Object.fromEntries(
      Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string"),
    ),
  };
}
