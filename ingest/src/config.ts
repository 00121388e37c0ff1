import { z } from "zod";

/** The defaults and bounds below, shared with the env vars that set them (settings.ts): stated once. */
export const DEFAULT_GROUP_ID = "switchyard-ingest";
export const DEFAULT_BATCH_MAX_ROWS = 20_000;
export const MAX_BATCH_ROWS = 100_000;
export const DEFAULT_FLUSH_INTERVAL_MS = 1_000;
export const DEFAULT_INSERT_LANES = 2;
export const MAX_INSERT_LANES = 8;

/** Tuning and identity of one ingest instance; every field has a production default. */
export const IngestConfig = z.object({
  /** Consumer group; instances sharing it split the partitions between them. */
  groupId: z.string().min(1).default(DEFAULT_GROUP_ID),
  /** A new group starts at the beginning of the log: the analytics store is a projection of all of it. */
  fromBeginning: z.boolean().default(true),
  /**
   * Rows per ClickHouse insert at most (bounded so the dedup lookup's IN list stays small), and the
   * most records ingest asks the bus for per batch. Big enough that a backlog drains in few parts: every
   * insert has a fixed engine cost (projections' pipelines, a part's files, later merges), so 20,000 costs
   * less CPU per event than 10,000 (8 alternating pairs with migration 011: paired median −4.0 µs/event,
   * 6 of 8 lower; events/s higher in 6 of 8) with no longer event-loop stalls (ingest README, "Throughput").
   */
  batchMaxRows: z.number().int().min(1).max(MAX_BATCH_ROWS).default(DEFAULT_BATCH_MAX_ROWS),
  /**
   * Live traffic (partial bus batches: the log is drained) makes at most one insert per this many ms:
   * each insert costs the engine ~50-100 ms of CPU whatever its size (projections, part files, fsyncs),
   * so at 200 ms the one-process stack spent most of a core on inserts of a few hundred rows. Also the
   * freshness bound of live rows (plus the insert's own time). A backlog never waits. 0: never linger.
   */
  flushIntervalMs: z.number().int().min(0).default(DEFAULT_FLUSH_INTERVAL_MS),
  /**
   * Inserts running at once per table, each on its own engine session (embedded: a chdb session per lane on
   * the same data path; one session runs one statement at a time, so a backlog was bound by that one
   * statement path). A server's lanes share its HTTP client. 1: strictly one insert after another.
   */
  insertLanes: z.number().int().min(1).max(MAX_INSERT_LANES).default(DEFAULT_INSERT_LANES),
  /** Partitions for topics this service creates when they are missing. */
  topicPartitions: z.number().int().positive().default(1),
  /** Replay turns this off: the live consumer already dead-lettered those messages. */
  publishDeadLetters: z.boolean().default(true),
});
export type IngestConfig = z.infer<typeof IngestConfig>;
export type IngestConfigInput = z.input<typeof IngestConfig>;
