import { z } from "zod";

/** Tuning and identity of one ingest instance; every field has a production default. */
export const IngestConfig = z.object({
  /** Consumer group; instances sharing it split the partitions between them. */
  groupId: z.string().min(1).default("switchyard-ingest"),
  /** A new group starts at the beginning of the log: the analytics store is a projection of all of it. */
  fromBeginning: z.boolean().default(true),
  /** Rows per ClickHouse insert at most (bounded so the dedup lookup's IN list stays small). */
  batchMaxRows: z.number().int().min(1).max(10_000).default(1_000),
  /** How long a partial batch waits for more rows before it is flushed. */
  flushIntervalMs: z.number().int().min(1).default(1_000),
  /** Partitions for topics this service creates when they are missing. */
  topicPartitions: z.number().int().positive().default(1),
  /** Replay turns this off: the live consumer already dead-lettered those messages. */
  publishDeadLetters: z.boolean().default(true),
});
export type IngestConfig = z.infer<typeof IngestConfig>;
export type IngestConfigInput = z.input<typeof IngestConfig>;
