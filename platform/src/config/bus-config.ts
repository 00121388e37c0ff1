import { join } from "node:path";
import { z } from "zod";
import { csvList, positiveInt } from "./env-helpers.ts";

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
  | { kind: "embedded"; dir: string; partitions: number };

export const BusEnv = z.object({
  KAFKA_BROKERS: csvList,
  KAFKA_CLIENT_ID: z.string().default("switchyard"),
  KAFKA_TOPIC_PARTITIONS: positiveInt(6),
  KAFKA_REPLICATION_FACTOR: positiveInt(1),
  KAFKA_SESSION_TIMEOUT_MS: positiveInt(30_000),
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
  return { kind: "embedded", dir: join(dataDir, "log"), partitions: 1 };
}
