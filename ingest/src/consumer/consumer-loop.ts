import type { EventBus, Logger, MessageBatch, Subscription } from "@switchyard/platform";
import type { PendingRow } from "../rows/pending-row.ts";
import type { IngestTelemetry } from "../telemetry/ingest-telemetry.ts";
import { type DeadLetter, publishDeadLetters } from "./dead-letters.ts";
import type { TopicRoute } from "./topic-route.ts";

export interface ConsumerLoopOptions {
  bus: EventBus;
  groupId: string;
  fromBeginning: boolean;
  routes: readonly TopicRoute[];
  /** false during a replay: those dead letters were already published by the live consumer. */
  publishDeadLetters: boolean;
  logger: Logger;
  /** Consumer spans (linked to the producing gateway spans) and consumption metrics. */
  telemetry?: IngestTelemetry;
}

export interface ConsumerLoopStats {
  batches: number;
  messages: number;
  deadLetters: number;
}

export interface ConsumerLoop {
  subscription: Subscription;
  stats(): ConsumerLoopStats;
}

/**
 * The one consumer loop for every ingested topic. A batch is done (and its offsets may be committed) only
 * when its good rows are stored AND its poison messages are durable in the DLQ; if either fails the handler
 * throws and the bus redelivers the whole batch, which the idempotent insert absorbs.
 */
export async function startConsumerLoop(options: ConsumerLoopOptions): Promise<ConsumerLoop> {
  const { bus, groupId, logger } = options;
  const routes = new Map(options.routes.map((r) => [r.topic, r]));
  const stats: ConsumerLoopStats = { batches: 0, messages: 0, deadLetters: 0 };

  async function handleBatch(batch: MessageBatch): Promise<void> {
    if (options.telemetry) return options.telemetry.processBatch(batch, () => storeBatch(batch));
    await storeBatch(batch);
  }

  async function storeBatch(batch: MessageBatch): Promise<{ deadLetters: number }> {
    const route = routes.get(batch.topic);
    const rows: PendingRow[] = [];
    const letters: DeadLetter[] = [];
    for (const message of batch.messages) {
      const decoded = route ? route.decode(message) : { ok: false as const, reason: `no route for ${batch.topic}` };
      if (decoded.ok) rows.push(decoded.row);
      else letters.push({ message, reason: decoded.reason });
    }
    for (const { message, reason } of letters) {
      logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, reason }, "poison");
    }
    await Promise.all([
      options.publishDeadLetters ? publishDeadLetters(bus, letters, groupId) : undefined,
      route?.writer.write(rows),
    ]);
    stats.batches += 1;
    stats.messages += batch.messages.length;
    stats.deadLetters += letters.length;
    return { deadLetters: letters.length };
  }

  const subscription = await bus.subscribe({
    groupId,
    topics: options.routes.map((r) => r.topic),
    fromBeginning: options.fromBeginning,
    handleBatch,
  });
  return { subscription, stats: () => ({ ...stats }) };
}
