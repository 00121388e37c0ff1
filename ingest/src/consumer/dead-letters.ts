import { Topics } from "@switchyard/events";
import type { BusMessage, EventBus, OutgoingRecord } from "@switchyard/platform";

/** Headers a dead letter carries on top of the original message's own headers. */
export const DeadLetterHeaders = {
  reason: "x-dlq-reason",
  sourceTopic: "x-dlq-source-topic",
  sourcePartition: "x-dlq-source-partition",
  sourceOffset: "x-dlq-source-offset",
  consumerGroup: "x-dlq-consumer-group",
  failedAt: "x-dlq-failed-at",
} as const;

export interface DeadLetter {
  message: BusMessage;
  reason: string;
}

/** The original key and bytes, unchanged, so a fixed consumer can re-publish the message as it was. */
export function deadLetterRecord(letter: DeadLetter, groupId: string, failedAt: Date): OutgoingRecord {
  const { message, reason } = letter;
  return {
    key: message.key,
    value: message.value ?? Buffer.alloc(0),
    headers: {
      ...message.headers,
      [DeadLetterHeaders.reason]: reason,
      [DeadLetterHeaders.sourceTopic]: message.topic,
      [DeadLetterHeaders.sourcePartition]: String(message.partition),
      [DeadLetterHeaders.sourceOffset]: message.offset,
      [DeadLetterHeaders.consumerGroup]: groupId,
      [DeadLetterHeaders.failedAt]: failedAt.toISOString(),
    },
  };
}

/**
 * Publishes dead letters and resolves once they are durable; the caller commits the source offsets only
 * afterwards. At-least-once like everything on the bus: a crash in between publishes a letter again, so a
 * DLQ reader dedupes by (source topic, partition, offset).
 */
export async function publishDeadLetters(
  bus: Pick<EventBus, "publish">,
  letters: readonly DeadLetter[],
  groupId: string,
): Promise<void> {
  if (letters.length === 0) return;
  const failedAt = new Date();
  await bus.publish(
    Topics.deadLetters,
    letters.map((letter) => deadLetterRecord(letter, groupId, failedAt)),
  );
}
