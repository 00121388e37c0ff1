import {
  Attr,
  type Attributes,
  Buckets,
  type EventBus,
  type Link,
  linkFromHeaders,
  type MessageBatch,
  Metrics,
  ROOT_CONTEXT,
  Scopes,
  SpanKind,
  SpanNames,
  SpanStatusCode,
  type Telemetry,
  Values,
} from "@switchyard/platform";

/**
 * Ingest's spans and metrics. Each consumed batch is one CONSUMER span `process {topic}` (messaging
 * conventions) that LINKS to the gateway span of every record whose headers carry a traceparent, so an
 * APM shows which ingest batch stored a request (and how long until it was stored: the span ends when
 * the batch's rows are in ClickHouse). Metrics: messages and dead letters consumed, insert latency,
 * rows written / duplicates skipped, and consumer lag per partition.
 */
export interface IngestTelemetry {
  /** Runs `handle` (decode, store, dead-letter) for one batch inside its consumer span. */
  processBatch(batch: MessageBatch, handle: () => Promise<{ deadLetters: number }>): Promise<void>;
  /** One ClickHouse insert of the batch writer (success or failure). */
  recordInsert(table: string, seconds: number, outcome: { inserted: number; duplicates: number } | "error"): void;
  /** Observes consumer lag (end offset − committed offset) per partition; returns a stop function. */
  observeLag(bus: Pick<EventBus, "endOffsets" | "committedOffsets">, topics: readonly string[]): () => void;
}

export interface IngestTelemetryOptions {
  telemetry: Telemetry;
  groupId: string;
  busKind: EventBus["kind"];
  /** How stale a lag reading may be before a scrape refreshes it. Default 5 s. */
  lagRefreshMs?: number;
}

/** Most time a lag refresh may take before a scrape reports the last reading instead. */
const LAG_TIMEOUT_MS = 2_000;

export function createIngestTelemetry(options: IngestTelemetryOptions): IngestTelemetry {
  const { telemetry, groupId } = options;
  const meter = telemetry.meter(Scopes.ingest);
  const tracer = telemetry.tracing ? telemetry.tracer(Scopes.ingest) : null;
  const system = options.busKind === "kafka" ? Values.messagingSystemKafka : Values.messagingSystemEmbedded;
  const messages = meter.createCounter(Metrics.ingestMessages, {
    unit: "{message}",
    description: "Bus messages ingest consumed (stored or dead-lettered)",
  });
  const deadLetters = meter.createCounter(Metrics.ingestDeadLetters, {
    unit: "{message}",
    description: "Messages sent to the dead-letter topic",
  });
  const insertDuration = meter.createHistogram(Metrics.ingestInsertDuration, {
    unit: "s",
    description: "Duration of one batch insert into ClickHouse",
    advice: { explicitBucketBoundaries: [...Buckets.shortSeconds] },
  });
  const rowsWritten = meter.createCounter(Metrics.ingestRowsWritten, {
    unit: "{row}",
    description: "Rows inserted into ClickHouse",
  });
  const duplicates = meter.createCounter(Metrics.ingestDuplicatesSkipped, {
    unit: "{row}",
    description: "Redelivered rows skipped because their event was already stored",
  });

  return {
    async processBatch(batch, handle) {
      const topicAttributes = { [Attr.messagingDestinationName]: batch.topic };
      messages.add(batch.messages.length, topicAttributes);
      if (!tracer) {
        const { deadLetters: letters } = await handle();
        if (letters > 0) deadLetters.add(letters, topicAttributes);
        return;
      }
      const links: Link[] = [];
      for (const message of batch.messages) {
        const link = linkFromHeaders(message.headers);
        if (link) links.push(link);
      }
      const attributes: Attributes = {
        [Attr.messagingSystem]: system,
        [Attr.messagingOperationName]: "process",
        [Attr.messagingOperationType]: Values.messagingProcess,
        [Attr.messagingDestinationName]: batch.topic,
        [Attr.messagingDestinationPartitionId]: String(batch.partition),
        [Attr.messagingConsumerGroupName]: groupId,
        [Attr.messagingBatchMessageCount]: batch.messages.length,
      };
      const span = tracer.startSpan(
        SpanNames.consume(batch.topic),
        { kind: SpanKind.CONSUMER, attributes, links },
        ROOT_CONTEXT,
      );
      try {
        const { deadLetters: letters } = await handle();
        if (letters > 0) {
          deadLetters.add(letters, topicAttributes);
          span.setAttribute(Attr.deadLetters, letters);
        }
      } catch (error) {
        const type = error instanceof Error ? error.name : "Error";
        span.setAttribute(Attr.errorType, type);
        span.setStatus({ code: SpanStatusCode.ERROR, message: "batch not stored; the bus redelivers it" });
        throw error;
      } finally {
        span.end();
      }
    },

    recordInsert(table, seconds, outcome) {
      insertDuration.record(seconds, {
        [Attr.table]: table,
        [Attr.outcome]: outcome === "error" ? "error" : "ok",
      });
      if (outcome === "error") return;
      rowsWritten.add(outcome.inserted, { [Attr.table]: table });
      if (outcome.duplicates > 0) duplicates.add(outcome.duplicates, { [Attr.table]: table });
    },

    observeLag(bus, topics) {
      const gauge = meter.createObservableGauge(Metrics.ingestConsumerLag, {
        unit: "{message}",
        description: "Messages not yet consumed: end offset minus the group's committed offset, per partition",
      });
      const refreshMs = options.lagRefreshMs ?? 5_000;
      let reading: { at: number; lag: { topic: string; partition: number; lag: number }[] } | null = null;
      let refreshing: Promise<void> | null = null;
      const refresh = async () => {
        const lag: { topic: string; partition: number; lag: number }[] = [];
        for (const topic of topics) {
          const [end, committed] = await Promise.all([bus.endOffsets(topic), bus.committedOffsets(groupId, topic)]);
          for (const [partition, endOffset] of end) {
            const done = BigInt(committed.get(partition) ?? "0");
            const behind = BigInt(endOffset) - done;
            lag.push({ topic, partition, lag: Number(behind > 0n ? behind : 0n) });
          }
        }
        reading = { at: Date.now(), lag };
      };
      const callback = async (result: { observe(value: number, attributes?: Attributes): void }) => {
        if (reading === null || Date.now() - reading.at >= refreshMs) {
          refreshing ??= refresh()
            .catch(() => undefined)
            .finally(() => {
              refreshing = null;
            });
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([refreshing, new Promise((resolve) => (timer = setTimeout(resolve, LAG_TIMEOUT_MS)))]);
          clearTimeout(timer);
        }
        for (const { topic, partition, lag } of (reading as typeof reading)?.lag ?? []) {
          result.observe(lag, {
            [Attr.messagingDestinationName]: topic,
            [Attr.messagingDestinationPartitionId]: String(partition),
            [Attr.messagingConsumerGroupName]: groupId,
          });
        }
      };
      gauge.addCallback(callback);
      return () => gauge.removeCallback(callback);
    },
  };
}
