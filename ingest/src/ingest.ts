import { acceptsRequestEvent, FeedbackEvent, LimitAlertEvent, RequestEvent, Topics } from "@switchyard/events";
import {
  activeTelemetry,
  type ClickHouse,
  type EventBus,
  type Logger,
  runMigrations,
  type Telemetry,
} from "@switchyard/platform";
import { IngestConfig, type IngestConfigInput } from "./config.ts";
import { type ConsumerLoopStats, startConsumerLoop } from "./consumer/consumer-loop.ts";
import { topicRoute } from "./consumer/topic-route.ts";
import { feedbackRow } from "./rows/feedback-row.ts";
import { limitAlertRow } from "./rows/limit-alert-row.ts";
import { requestRow } from "./rows/request-row-binary.ts";
import { createIngestTelemetry } from "./telemetry/ingest-telemetry.ts";
import { BatchWriter, type BatchWriterStats } from "./writer/batch-writer.ts";
import { bodyFileDir } from "./writer/body-file.ts";
import { type IngestTable, insertExactlyOnce } from "./writer/exactly-once-insert.ts";

export interface IngestDependencies {
  bus: EventBus;
  clickhouse: ClickHouse;
  logger: Logger;
  config?: IngestConfigInput;
  /** Spans and metrics; default: what startTelemetry() started in this process (or none). */
  telemetry?: Telemetry;
}

export interface IngestStats {
  consumer: ConsumerLoopStats;
  requests: BatchWriterStats;
  feedback: BatchWriterStats;
  limitAlerts: BatchWriterStats;
}

export interface Ingest {
  /** Stops consuming, waits for in-flight batches (their rows are flushed), then drains the writers. */
  stop(): Promise<void>;
  stats(): IngestStats;
}

/** The topics ingest projects into ClickHouse (one table each); replay rebuilds from the same list. */
export const INGESTED_TOPICS = [Topics.requests, Topics.feedback, Topics.limitAlerts] as const;
/** The tables those topics fill, which a replay truncates first. */
export const INGESTED_TABLES: readonly IngestTable[] = ["requests", "feedback", "limit_alerts"];

/**
 * One session per insert lane: lane 0 is `clickhouse` itself, the others extra sessions on the same engine
 * (embedded: chdb sessions at the same path, which run statements concurrently; server: the same client).
 */
async function openLanes(clickhouse: ClickHouse, count: number): Promise<ClickHouse[]> {
  const lanes = [clickhouse];
  try {
    while (lanes.length < count) lanes.push(await clickhouse.openSession());
  } catch (error) {
    await closeLanes(clickhouse, lanes);
    throw error;
  }
  return lanes;
}

/**
 * Waits until `lane`'s session ran a statement after a failed insert. The embedded engine finishes a statement
 * it answered with a timeout in the background and its session runs nothing else meanwhile, so this holds the
 * failed flush's ids in the writer's in-flight set until that insert really ended: a flush on another lane
 * cannot miss it. A server's ping does not wait for its statements (README, "Limits").
 */
async function quiesce(lane: ClickHouse): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    if ((await lane.client.ping()).success) return;
  }
}

/** Closes the lanes' extra sessions; `clickhouse` is the caller's. */
async function closeLanes(clickhouse: ClickHouse, lanes: readonly ClickHouse[]): Promise<void> {
  await Promise.all(lanes.filter((lane) => lane !== clickhouse).map((lane) => lane.close()));
}

/** Migrates the schema, makes sure the topics exist, and starts the consumer group. */
export async function startIngest(deps: IngestDependencies): Promise<Ingest> {
  const config = IngestConfig.parse(deps.config ?? {});
  const { bus, clickhouse } = deps;
  const logger = deps.logger.child({ component: "ingest" });

  const migration = await runMigrations(clickhouse.client);
  logger.info({ ...migration }, "clickhouse schema ready");
  // The embedded engine reads `requests` rows (RowBinary) only through a file: chdb cannot take binary data
  // inline. Without a body directory every insert would fail for ever, so that is a startup error instead.
  if (clickhouse.kind === "embedded" && (await bodyFileDir(clickhouse.client)) === null)
    throw new Error(
      "ingest: the embedded ClickHouse engine cannot read insert files under its data path (ingest_bodies); check that DATA_DIR/clickhouse is a writable directory",
    );
  await bus.ensureTopics(
    [...INGESTED_TOPICS, Topics.deadLetters].map((name) => ({
      name,
      partitions: config.topicPartitions,
    })),
  );

  const telemetry = createIngestTelemetry({
    telemetry: deps.telemetry ?? activeTelemetry(),
    groupId: config.groupId,
    busKind: bus.kind,
  });
  const lanes = await openLanes(clickhouse, config.insertLanes);
  const writerFor = (table: IngestTable) =>
    new BatchWriter({
      name: table,
      sink: (rows, lane) =>
        insertExactlyOnce(lanes[lane]!.client, table, rows, clickhouse.client).catch(async (error: unknown) => {
          await quiesce(lanes[lane]!);
          throw error;
        }),
      maxRows: config.batchMaxRows,
      lingerMs: config.flushIntervalMs,
      lanes: lanes.length,
      logger,
      onInsert: (seconds, outcome) => telemetry.recordInsert(table, seconds, outcome),
    });
  const requests = writerFor("requests");
  const feedback = writerFor("feedback");
  const limitAlerts = writerFor("limit_alerts");

  const consumer = await startConsumerLoop({
    bus,
    // Every lane holds a batch's insert while the next batch is decoded.
    maxBatchesInFlight: lanes.length + 1,
    groupId: config.groupId,
    fromBeginning: config.fromBeginning,
    publishDeadLetters: config.publishDeadLetters,
    logger,
    telemetry,
    batchMaxRecords: config.batchMaxRows,
    routes: [
      topicRoute({
        topic: Topics.requests,
        schema: RequestEvent,
        accepts: acceptsRequestEvent,
        toRow: requestRow,
        writer: requests,
      }),
      topicRoute({ topic: Topics.feedback, schema: FeedbackEvent, toRow: feedbackRow, writer: feedback }),
      topicRoute({ topic: Topics.limitAlerts, schema: LimitAlertEvent, toRow: limitAlertRow, writer: limitAlerts }),
    ],
  }).catch(async (error: unknown) => {
    await closeLanes(clickhouse, lanes);
    throw error;
  });
  logger.info({ groupId: config.groupId, insertLanes: lanes.length }, "ingest consuming");
  const stopLag = telemetry.observeLag(bus, [...INGESTED_TOPICS]);

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        // Order matters: in-flight handlers await their flush, so writers keep running until the bus stopped.
        stopLag();
        await consumer.subscription.stop();
        await Promise.all([requests.stop(), feedback.stop(), limitAlerts.stop()]);
        await closeLanes(clickhouse, lanes);
        logger.info("ingest stopped");
      })();
      return stopping;
    },
    stats: () => ({
      consumer: consumer.stats(),
      requests: requests.stats(),
      feedback: feedback.stats(),
      limitAlerts: limitAlerts.stats(),
    }),
  };
}
