import { Topics } from "@switchyard/events";
import { type ClickHouse, type EventBus, type Logger, runMigrations } from "@switchyard/platform";
import { IngestConfig, type IngestConfigInput } from "./config.ts";
import { type IngestStats, startIngest } from "./ingest.ts";

export interface ReplayDependencies {
  bus: EventBus;
  clickhouse: ClickHouse;
  logger: Logger;
  config?: IngestConfigInput;
  /** How often progress is checked against the end offsets captured at start. */
  pollIntervalMs?: number;
}

export interface ReplayResult {
  groupId: string;
  stats: IngestStats;
}

const REPLAYED_TOPICS = [Topics.requests, Topics.feedback] as const;

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
 * Rebuilds the analytics tables from the event log: truncates them (projections go with their parts),
 * then consumes every topic from the beginning with a fresh consumer group until the end offsets seen at
 * start are committed. The live ingest MUST be stopped first: a concurrent insert could land between the
 * truncate and the replay (harmless, the dedup absorbs it) but the embedded engines are single-process
 * and would refuse to open anyway. Afterwards the live group resumes where it was; everything it
 * re-reads is already stored and is dropped as a duplicate. Dead letters are not re-published.
 */
export async function replayFromLog(deps: ReplayDependencies): Promise<ReplayResult> {
  const base = IngestConfig.parse(deps.config ?? {});
  const groupId = `${base.groupId}-replay-${new Date().toISOString().replace(/[^0-9]/g, "")}`;
  const logger = deps.logger.child({ component: "replay", groupId });
  const { bus, clickhouse } = deps;

  await runMigrations(clickhouse.client);
  for (const table of ["requests", "feedback"]) {
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
