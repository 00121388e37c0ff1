import { type GatewayConfig, GatewayEnv, gatewayConfigFrom } from "@switchyard/gateway";
import type { IngestConfigInput } from "@switchyard/ingest";
import {
  type BusConfig,
  busConfigFrom,
  type ClickHouseConfig,
  ClickHouseEnv,
  clickHouseConfigFrom,
  port,
  positiveInt,
} from "@switchyard/platform";
import { z } from "zod";

export const ServiceName = z.enum(["gateway", "ingest", "analytics"]);
export type ServiceName = z.infer<typeof ServiceName>;

/** Every env var the one-process stack reads: the gateway's, ClickHouse's, and the stack's own. */
export const StackEnv = GatewayEnv.extend({
  ...ClickHouseEnv.shape,
  ANALYTICS_PORT: port(8788),
  ANALYTICS_HOST: z.string().default("127.0.0.1"),
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
  INGEST_BATCH_MAX_ROWS: positiveInt(1000),
  INGEST_FLUSH_INTERVAL_MS: positiveInt(250),
});
export type StackEnv = z.infer<typeof StackEnv>;

export interface StackConfig {
  services: Set<ServiceName>;
  gateway: GatewayConfig;
  analytics: { port: number; host: string };
  ingest: IngestConfigInput;
  bus: BusConfig;
  clickhouse: ClickHouseConfig;
}

export function stackConfigFrom(env: StackEnv): StackConfig {
  const bus = busConfigFrom(env, env.DATA_DIR);
  return {
    services: env.SWITCHYARD_SERVICES,
    gateway: gatewayConfigFrom(env),
    analytics: { port: env.ANALYTICS_PORT, host: env.ANALYTICS_HOST },
    ingest: {
      batchMaxRows: env.INGEST_BATCH_MAX_ROWS,
      flushIntervalMs: env.INGEST_FLUSH_INTERVAL_MS,
      topicPartitions: bus.partitions,
    },
    bus,
    clickhouse: clickHouseConfigFrom(env, env.DATA_DIR),
  };
}
