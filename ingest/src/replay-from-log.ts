import { type ClickHouse, EmbeddedEventBus, type EventBus, type Logger, runMigrations } from "@switchyard/platform";
import { IngestConfig, type IngestConfigInput } from "./config.ts";
import { INGESTED_TABLES, INGESTED_TOPICS, type IngestStats, startIngest } from "./ingest.ts";

export interface ReplayDependencies {
  bus: EventBus;
  clickhouse: ClickHouse;
  logger: Logger;
  config?: IngestConfigInput;
  /** How often progress is checked against the end offsets captured at start. */
  pollIntervalMs?: number;
  /**
   * Accept that the log no longer starts at offset 0 (retention deleted its oldest segments):
   * the tables are truncated and rebuilt from what is retained, so older rows are gone. Without
   * it such a replay is refused before anything is truncated.
   */
  retainedOnly?: boolean;
}

/** Thrown (before anything is truncated) when the log lost its head and retainedOnly is not set. */
export class PartialLogError extends Error {}

export interface ReplayResult {
  groupId: string;
  stats: IngestStats;
}

const REPLAYED_TOPICS = INGESTED_TOPICS;

async function caughtUp(bus: EventBus, groupId: string, targets: Map<string, Map<number, string>>): Promise<boolean> {
  for (const [topic, ends] of targets) {
    const committed = await bus.committedOffsets(groupId, topic);
    for (const [partition, end] of ends) {
      if (BigInt(committed.get(partition) ?? "0") < BigInt(end)) return false;
    }
  }
  return true;
}

/**
 * Partitions whose oldest records retention has deleted, as "topic/partition from offset N".
 * The embedded log knows its start offsets; a Kafka topic's own retention (retention.ms, 7 days
 * by default) is not checked here: replaying from Kafka rebuilds what the brokers still hold.
 */
async function trimmedPartitions(bus: EventBus): Promise<string[]> {
  if (!(bus instanceof EmbeddedEventBus)) return [];
  const trimmed: string[] = [];
  for (const topic of REPLAYED_TOPICS) {
    for (const [partition, start] of await bus.startOffsets(topic)) {
      if (start !== "0") trimmed.push(`${topic}/${partition} from offset ${start}`);
    }
  }
  return trimmed;
}

/**
 * Rebuilds the analytics tables from the event log: truncates them (projections go with their parts),
 * then consumes every topic from the beginning with a fresh consumer group until the end offsets seen at
 * start are committed. The live ingest MUST be stopped first: a concurrent insert could land between the
 * truncate and the replay (harmless, the dedup absorbs it) but the embedded engines are single-process
 * and would refuse to open anyway. Afterwards the live group resumes where it was; everything it
 * re-reads is already stored and is dropped as a duplicate. Dead letters are not re-published.
 *
 * Replay can only rebuild what the log still holds. The embedded log deletes segments every
 * consumer group has read once they are older than its retention (EMBEDDED_LOG_RETENTION_HOURS,
 * default 7 days; platform/src/bus/README.md "Retention"); Kafka applies its topics' retention.ms.
 * When the embedded log's head is gone, replay refuses (PartialLogError) unless `retainedOnly`:
 * truncating and rebuilding would silently drop every older row. To rebuild everything, point
 * the replay at an archive the operator kept of the sealed segment files (`--log-dir`), or keep
 * the log whole (EMBEDDED_LOG_RETENTION_HOURS=0).
 */
export async function replayFromLog(deps: ReplayDependencies): Promise<ReplayResult> {
  const base = IngestConfig.parse(deps.config ?? {});
  const groupId = `${base.groupId}-replay-${new Date().toISOString().replace(/[^0-9]/g, "")}`;
  const logger = deps.logger.child({ component: "replay", groupId });
  const { bus, clickhouse } = deps;
  // Both topics are ensured by the live stack; opening them here fails the same way startIngest would.
  const trimmed = await trimmedPartitions(bus).catch(() => []);
  if (trimmed.length > 0) {
    if (!deps.retainedOnly) {
      throw new PartialLogError(
        `the event log no longer holds its oldest events (${trimmed.join(", ")}: deleted by retention); ` +
          "a replay would truncate the tables and rebuild only what is retained. Re-run with --retained-only " +
          "to accept that, or replay from an archive of the log with --log-dir <dir>",
      );
    }
    logger.warn({ trimmed }, "replaying only what the log retains: older rows will be gone after the truncate");
  }

  await runMigrations(clickhouse.client);
  for (const table of INGESTED_TABLES) {
    await clickhouse.client.command({ query: `TRUNCATE TABLE IF EXISTS ${table}` });
  }
  logger.info("analytics tables truncated; replaying the log");

  const targets = new Map<string, Map<number, string>>();
  const ingest = await startIngest({
    ...deps,
    config: { ...base, groupId, fromBeginning: true, publishDeadLetters: false },
  });
  // Captured after startIngest ensured the topics exist; later appends are the live group's business.
  for (const topic of REPLAYED_TOPICS) targets.set(topic, await bus.endOffsets(topic));
  try {
    while (!(await caughtUp(bus, groupId, targets))) {
      await new Promise((resolve) => setTimeout(resolve, deps.pollIntervalMs ?? 250));
    }
  } finally {
    await ingest.stop();
  }
  const stats = ingest.stats();
  logger.info({ stats }, "replay complete");
  return { groupId, stats };
}
