import {
  type BusConfig,
  BusEnv,
  busConfigFrom,
  type ClickHouseConfig,
  ClickHouseEnv,
  clickHouseConfigFrom,
  nonNegativeInt,
  positiveInt,
} from "@switchyard/platform";
import { z } from "zod";
import { IngestConfig } from "./config.ts";

/** Every env var standalone ingest reads, parsed once in main() (the one-process stack reuses it). */
export const IngestEnv = z.object({
  DATA_DIR: z.string().min(1).default("./data"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  INGEST_GROUP_ID: z.string().min(1).default("switchyard-ingest"),
  INGEST_BATCH_MAX_ROWS: positiveInt(20_000).pipe(z.number().max(100_000)),
  INGEST_FLUSH_INTERVAL_MS: nonNegativeInt(1_000),
  INGEST_INSERT_LANES: positiveInt(2).pipe(z.number().max(8)),
  ...BusEnv.shape,
  ...ClickHouseEnv.shape,
});
export type IngestEnv = z.infer<typeof IngestEnv>;

export interface IngestSettings {
  dataDir: string;
  logLevel: IngestEnv["LOG_LEVEL"];
  /** KAFKA_BROKERS set → Kafka, else the embedded log under DATA_DIR/log. */
  bus: BusConfig;
  /** CLICKHOUSE_URL set → server over HTTP, else chdb under DATA_DIR/clickhouse. */
  clickhouse: ClickHouseConfig;
  ingest: IngestConfig;
}

export function ingestSettingsFrom(env: IngestEnv): IngestSettings {
  const bus = busConfigFrom(env, env.DATA_DIR);
  return {
    dataDir: env.DATA_DIR,
    logLevel: env.LOG_LEVEL,
    bus,
    clickhouse: clickHouseConfigFrom(env, env.DATA_DIR),
    ingest: IngestConfig.parse({
      groupId: env.INGEST_GROUP_ID,
      batchMaxRows: env.INGEST_BATCH_MAX_ROWS,
      flushIntervalMs: env.INGEST_FLUSH_INTERVAL_MS,
      insertLanes: env.INGEST_INSERT_LANES,
      topicPartitions: bus.partitions,
    }),
  };
}
