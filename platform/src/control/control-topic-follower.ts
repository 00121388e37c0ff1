import { randomUUID } from "node:crypto";
import type { EventBus, MessageBatch, Subscription } from "../bus/event-bus.ts";
import type { Logger } from "../logger.ts";
import { CONTROL_TOPIC, type ControlEvent, decodeControlEvent } from "./control-events.ts";
import type { ControlPlaneView } from "./control-plane-view.ts";

export interface ControlTopicFollowerOptions {
  bus: EventBus;
  view: ControlPlaneView;
  logger: Logger;
  /** Names this replica in its consumer group id (a random suffix keeps restarts apart). */
  replicaId: string;
  /**
   * How long an idle consumer waits before fetching again. Short, so a revocation reaches every
   * replica within a second (Kafka's fetch returns as soon as a record arrives anyway; this bounds
   * the embedded log's poll for appends from another process). Default 100 ms.
   */
  maxWaitTimeMs?: number;
  topic?: string;
}

/** The control topic has one partition: one total order of control events (the volume is tiny). */
export const CONTROL_TOPIC_PARTITIONS = 1;

/**
 * Folds the whole control topic into `view`, then keeps folding live. Every replica reads every
 * event, so the consumer group is replica-unique and starts from the beginning at each start
 * (its committed offsets are never reused). The view is marked ready once it has folded up to
 * the end offsets observed before subscribing.
 */
export async function followControlTopic(options: ControlTopicFollowerOptions): Promise<Subscription> {
  const topic = options.topic ?? CONTROL_TOPIC;
  const { view, logger } = options;
  const backlogEnd = await options.bus.endOffsets(topic);
  const position = new Map<number, bigint>();
  const caughtUp = () =>
    [...backlogEnd].every(([partition, end]) => BigInt(end) === 0n || (position.get(partition) ?? -1n) >= BigInt(end));
  if (caughtUp()) view.markReady();

  const handleBatch = async (batch: MessageBatch) => {
    const events: ControlEvent[] = [];
    for (const message of batch.messages) {
      const decoded = decodeControlEvent(message.value);
      if (decoded.ok) {
        events.push(decoded.value);
      } else {
        // Skipping (not throwing): a record no replica can fold must not stall the control plane.
        logger.error(
          { topic, partition: batch.partition, offset: message.offset, reason: decoded.reason },
          "control plane: skipping an invalid control event",
        );
      }
    }
    view.fold(events);
    const last = batch.messages.at(-1);
    if (last) position.set(batch.partition, BigInt(last.offset) + 1n);
    if (!view.isReady && caughtUp()) {
      view.markReady();
      logger.debug({ topic }, "control plane: backlog folded");
    }
  };

  return options.bus.subscribe({
    groupId: `switchyard-control-${sanitise(options.replicaId)}-${randomUUID().slice(0, 8)}`,
    topics: [topic],
    fromBeginning: true,
    maxWaitTimeMs: options.maxWaitTimeMs ?? 100,
    handleBatch,
  });
}

/** Group ids become file names in the embedded log. */
function sanitise(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
}
