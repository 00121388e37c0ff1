import { join } from "node:path";
import { z } from "zod";
import type { RetentionPolicy } from "../bus/embedded/retention-policy.ts";
import { csvList, positiveInt } from "./env-helpers.ts";

/** How the embedded log stores and trims its files (README of platform/src/bus, "Retention"). */
export interface EmbeddedLogSettings {
  segmentBytes: number;
  retention: RetentionPolicy;
}

/** Which event bus a process uses: Kafka when KAFKA_BROKERS is set, else the embedded log under DATA_DIR. */
export type BusConfig =
  | {
      kind: "kafka";
      brokers: string[];
      clientId: string;
      partitions: number;
      replicationFactor: number;
      /** How long a consumer that died silently (SIGKILL, lost host) keeps its partitions. */
      sessionTimeoutMs: number;
    }
  | { kind: "embedded"; dir: string; partitions: number; log?: EmbeddedLogSettings };

const HOUR_MS = 60 * 60 * 1000;
/** A non-negative number where 0 turns the limit off. */
const limit = (fallback: number) => z.coerce.number().nonnegative().default(fallback);

export const BusEnv = z.object({
  KAFKA_BROKERS: csvList,
  KAFKA_CLIENT_ID: z.string().default("switchyard"),
  KAFKA_TOPIC_PARTITIONS: positiveInt(6),
  KAFKA_REPLICATION_FACTOR: positiveInt(1),
  KAFKA_SESSION_TIMEOUT_MS: positiveInt(30_000),
  /** Embedded log: segments (whole files) are the unit retention deletes. */
  EMBEDDED_LOG_SEGMENT_BYTES: z.coerce
    .number()
    .int()
    .min(4096)
    .default(64 * 1024 * 1024),
  /** Embedded log: delete read segments older than this (hours, fractions allowed; 0 = no age limit). */
  EMBEDDED_LOG_RETENTION_HOURS: limit(168),
  /** Embedded log: per partition, delete the oldest read segments while larger than this (0 = no size limit). */
  EMBEDDED_LOG_RETENTION_BYTES: z.coerce.number().int().nonnegative().default(0),
  /** Embedded log: a consumer group silent for this long (and not live in the writer) stops holding data. */
  EMBEDDED_LOG_GROUP_EXPIRY_HOURS: z.coerce.number().positive().default(168),
  /** Embedded log: how often the writer applies retention and compaction. */
  EMBEDDED_LOG_RETENTION_CHECK_SECONDS: z.coerce.number().positive().max(86_400).default(60),
  /** Embedded log: compacted topics (control) are compacted from this many records, half superseded. */
  EMBEDDED_LOG_COMPACT_MIN_RECORDS: positiveInt(1000),
});
export type BusEnv = z.infer<typeof BusEnv>;

export function busConfigFrom(env: BusEnv, dataDir: string): BusConfig {
  if (env.KAFKA_BROKERS.length > 0) {
    return {
      kind: "kafka",
      brokers: env.KAFKA_BROKERS,
      clientId: env.KAFKA_CLIENT_ID,
      partitions: env.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: env.KAFKA_REPLICATION_FACTOR,
      sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
    };
  }
  return { kind: "embedded", dir: join(dataDir, "log"), partitions: 1, log: embeddedLogSettingsFrom(env) };
}

export function embeddedLogSettingsFrom(env: BusEnv): EmbeddedLogSettings {
  return {
    segmentBytes: env.EMBEDDED_LOG_SEGMENT_BYTES,
    retention: {
      maxAgeMs: env.EMBEDDED_LOG_RETENTION_HOURS > 0 ? env.EMBEDDED_LOG_RETENTION_HOURS * HOUR_MS : null,
      maxBytes: env.EMBEDDED_LOG_RETENTION_BYTES > 0 ? env.EMBEDDED_LOG_RETENTION_BYTES : null,
      groupExpiryMs: env.EMBEDDED_LOG_GROUP_EXPIRY_HOURS * HOUR_MS,
      checkIntervalMs: env.EMBEDDED_LOG_RETENTION_CHECK_SECONDS * 1000,
      compactMinRecords: env.EMBEDDED_LOG_COMPACT_MIN_RECORDS,
    },
  };
}
