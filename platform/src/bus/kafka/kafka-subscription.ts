import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from "kafkajs";
import type { Logger } from "../../logger.ts";
import { type BackoffPolicy, backoffDelay, sleep } from "../backoff.ts";
import type { BusMessage, SubscribeOptions, Subscription } from "../event-bus.ts";

export interface KafkaConsumerSettings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
  maxBatchBytes: number;
  partitionsConsumedConcurrently: number;
  backoff: BackoffPolicy;
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

function toBusMessage(topic: string, partition: number, m: KafkaMessage): BusMessage {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key === null ? null : m.key.toString("utf8"),
    value: m.value,
    headers: headersToStrings(m.headers),
    timestamp: Number(m.timestamp),
  };
}

/**
 * Waits out a redelivery backoff while still heartbeating, so a long backoff does not get this
 * member kicked out of the group (which would just hand the failing batch to another member).
 */
async function backoffWithHeartbeat(
  delayMs: number,
  heartbeatIntervalMs: number,
  heartbeat: () => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const until = Date.now() + delayMs;
  while (!signal.aborted && Date.now() < until) {
    await sleep(Math.min(heartbeatIntervalMs, until - Date.now()), signal);
    await heartbeat().catch(() => undefined);
  }
}

/**
 * One kafkajs consumer per subscription. autoCommit is off: a batch's offsets are committed only
 * after handleBatch resolved. When it throws, nothing is resolved or committed and the consumer
 * seeks back to the batch's first offset, so the same records are fetched again after a backoff.
 */
export async function startKafkaSubscription(
  kafka: Kafka,
  options: SubscribeOptions,
  settings: KafkaConsumerSettings,
  logger: Logger,
): Promise<Subscription> {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    maxWaitTimeInMs: settings.maxWaitTimeMs,
    maxBytesPerPartition: settings.maxBatchBytes,
    allowAutoTopicCreation: false,
  });
  const abort = new AbortController();
  const failures = new Map<string, number>();

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale, ...rest }: EachBatchPayload) => {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const { topic, partition } = batch;
    const first = batch.messages[0]!.offset;
    const last = batch.messages.at(-1)!.offset;
    const key = `${topic}:${partition}`;
    try {
      await options.handleBatch({
        topic,
        partition,
        messages: batch.messages.map((m) => toBusMessage(topic, partition, m)),
      });
    } catch (error) {
      const attempt = (failures.get(key) ?? 0) + 1;
      failures.set(key, attempt);
      const delayMs = backoffDelay(settings.backoff, attempt);
      logger.warn(
        { err: error, groupId: options.groupId, topic, partition, offset: first, failures: attempt, delayMs },
        "batch handler failed; redelivering after backoff",
      );
      consumer.seek({ topic, partition, offset: first });
      await backoffWithHeartbeat(delayMs, settings.heartbeatIntervalMs, heartbeat, abort.signal);
      return;
    }
    failures.delete(key);
    resolveOffset(last);
    try {
      await rest.commitOffsetsIfNecessary({
        topics: [{ topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }],
      });
    } catch (error) {
      // Handled but not committed: a later commit covers it, or a rebalance redelivers it (at-least-once).
      logger.warn({ err: error, groupId: options.groupId, topic, partition }, "offset commit failed");
    }
    await heartbeat().catch(() => undefined);
  };

  await consumer.connect();
  try {
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
      eachBatch,
    });
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }

  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= (async () => {
        abort.abort();
        await consumer.stop();
        await consumer.disconnect();
      })();
      return stopped;
    },
  };
}
