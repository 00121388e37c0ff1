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
import {
  DEFAULT_BATCH_MAX_ROWS,
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_GROUP_ID,
  DEFAULT_INSERT_LANES,
  IngestConfig,
  MAX_BATCH_ROWS,
  MAX_INSERT_LANES,
} from "./config.ts";

/** Every env var standalone ingest reads, parsed once in main() (the one-process stack reuses it). */
export const IngestEnv = z.object({
  DATA_DIR: z.string().min(1).default("./data"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  INGEST_GROUP_ID: z.string().min(1).default(DEFAULT_GROUP_ID),
  INGEST_BATCH_MAX_ROWS: positiveInt(DEFAULT_BATCH_MAX_ROWS).pipe(z.number().max(MAX_BATCH_ROWS)),
  INGEST_FLUSH_INTERVAL_MS: nonNegativeInt(DEFAULT_FLUSH_INTERVAL_MS),
  INGEST_INSERT_LANES: positiveInt(DEFAULT_INSERT_LANES).pipe(z.number().max(MAX_INSERT_LANES)),
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
