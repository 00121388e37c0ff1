import { z } from "zod";

/** Tuning and identity of one ingest instance; every field has a production default. */
export const IngestConfig = z.object({
  /** Consumer group; instances sharing it split the partitions between them. */
  groupId: z.string().min(1).default("switchyard-ingest"),
  /** A new group starts at the beginning of the log: the analytics store is a projection of all of it. */
  fromBeginning: z.boolean().default(true),
  /**
   * Rows per ClickHouse insert at most (bounded so the dedup lookup's IN list stays small), and the
   * most records ingest asks the bus for per batch. Big enough that a backlog drains in few parts.
   */
  batchMaxRows: z.number().int().min(1).max(100_000).default(10_000),
  /**
   * How long a partial bus batch (the log is drained) waits for more rows before its insert: keeps live
   * traffic to a few inserts per second (each costs tens of ms of engine time whatever its size). A full
   * batch (a backlog) never waits. 0: never linger.
   */
  flushIntervalMs: z.number().int().min(0).default(200),
  /** Partitions for topics this service creates when they are missing. */
  topicPartitions: z.number().int().positive().default(1),
  /** Replay turns this off: the live consumer already dead-lettered those messages. */
  publishDeadLetters: z.boolean().default(true),
});
export type IngestConfig = z.infer<typeof IngestConfig>;
export type IngestConfigInput = z.input<typeof IngestConfig>;
