import type { Logger } from "../../logger.ts";
import { type BackoffPolicy, backoffDelay, sleep } from "../backoff.ts";
import type { BusMessage, MessageBatch, Subscription } from "../event-bus.ts";
import type { OpenTopic } from "./group-commit-writer.ts";
import type { GroupOffsets } from "./group-offsets.ts";
import type { LogRecord, PartitionLog } from "./partition-log.ts";

export interface EmbeddedSubscriptionOptions {
  groupId: string;
  topics: readonly OpenTopic[];
  offsets: GroupOffsets;
  fromBeginning: boolean;
  handleBatch: (batch: MessageBatch) => Promise<void>;
  maxBatchRecords: number;
  maxBatchBytes: number;
  /** Fallback wake-up for appends made by another process (in-process appends wake at once). */
  pollIntervalMs: number;
  backoff: BackoffPolicy;
  logger: Logger;
  onStopped: () => void;
}

interface PartitionCursor {
  topic: string;
  partition: number;
  log: PartitionLog;
}

/**
 * A consumer group member over the embedded log: one fetch loop per partition, so a partition
 * whose handler keeps failing does not hold back the others. handleBatch is therefore called
 * concurrently for different partitions, never for the same one.
 */
export function startEmbeddedSubscription(options: EmbeddedSubscriptionOptions): Subscription {
  const abort = new AbortController();
  const cursors: PartitionCursor[] = options.topics.flatMap((t) =>
    t.partitions.map((log, partition) => ({ topic: t.name, partition, log })),
  );
  const loops = cursors.map((cursor) =>
    consumePartition(cursor, options, abort.signal).catch((error: unknown) => {
      options.logger.error({ err: error, topic: cursor.topic, partition: cursor.partition }, "embedded consumer died");
    }),
  );
  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= (async () => {
        abort.abort();
        await Promise.all(loops);
        options.onStopped();
      })();
      return stopped;
    },
  };
}

/** Records decoded per log read: a read parses its frames in one go, so a big batch is read in slices. */
const READ_SLICE_RECORDS = 1_000;

/**
 * Up to `maxRecords` records from `from`, read in slices of READ_SLICE_RECORDS with an event-loop turn
 * (the file read) between them, so a 10,000-record batch does not parse its frames in one synchronous
 * stretch in a process that also serves requests. The byte budget counts values and keys; a slice always
 * returns at least one record, so a batch may pass `maxBytes` by less than one record.
 */
async function readBatch(log: PartitionLog, from: number, maxRecords: number, maxBytes: number): Promise<LogRecord[]> {
  let records: LogRecord[] = [];
  let bytes = 0;
  while (records.length < maxRecords && bytes < maxBytes) {
    const want = Math.min(READ_SLICE_RECORDS, maxRecords - records.length);
    const slice = await log.read(from + records.length, want, maxBytes - bytes);
    records = records.length === 0 ? slice : records.concat(slice);
    for (const record of slice) bytes += record.value.length + (record.key?.length ?? 0);
    if (slice.length < want) break;
  }
  return records;
}

async function consumePartition(
  cursor: PartitionCursor,
  options: EmbeddedSubscriptionOptions,
  signal: AbortSignal,
): Promise<void> {
  const { topic, partition, log } = cursor;
  const committed = options.offsets.get(topic, partition);
  let position = committed ?? (options.fromBeginning ? log.startOffset : log.endOffset);
  let failures = 0;
  /** The read of `position` started while the previous batch was handled (null: read it now). */
  let readAhead: Promise<LogRecord[]> | null = null;
  /** The last offset commit: not awaited before the next batch, only before the loop returns. */
  let committing: Promise<void> = Promise.resolve();
  const read = (from: number) => readBatch(log, from, options.maxBatchRecords, options.maxBatchBytes);
  while (!signal.aborted) {
    let records: LogRecord[];
    try {
      records = await (readAhead ?? read(position));
    } catch (error) {
      readAhead = null;
      failures += 1;
      options.logger.error({ err: error, topic, partition, offset: position }, "embedded consumer: read failed");
      await sleep(backoffDelay(options.backoff, failures), signal);
      continue;
    }
    readAhead = null;
    if (records.length === 0) {
      await log.waitForAppend(position, options.pollIntervalMs, signal);
      if (!signal.aborted) await log.refresh();
      continue;
    }
    const next = position + records.length;
    // Visible records never change, so the next batch is read from disk while this one is handled.
    if (next < log.endOffset) {
      readAhead = read(next);
      readAhead.catch(() => undefined); // awaited (and its error handled) on the next turn, or dropped
    }
    const messages: BusMessage[] = records.map((r) => ({
      topic,
      partition,
      offset: String(r.offset),
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: r.timestamp,
    }));
    try {
      await options.handleBatch({ topic, partition, messages });
    } catch (error) {
      // Not committed and the position is unchanged: the same records come again after the backoff.
      readAhead = null;
      failures += 1;
      const delayMs = backoffDelay(options.backoff, failures);
      options.logger.warn(
        { err: error, groupId: options.groupId, topic, partition, offset: position, failures, delayMs },
        "batch handler failed; redelivering after backoff",
      );
      await sleep(delayMs, signal);
      continue;
    }
    failures = 0;
    position = next;
    // The commit (two fsyncs) runs while the next batch is handled: it still follows its own handler,
    // commits stay in order (GroupOffsets serialises and coalesces them), and stop() waits for the last.
    committing = options.offsets.commit(topic, partition, next).catch((error: unknown) => {
      // The records were handled; a later commit covers them. Until then a restart redelivers them.
      options.logger.error({ err: error, groupId: options.groupId, topic, partition }, "offset commit failed");
    });
  }
  await Promise.all([committing, readAhead?.catch(() => undefined)]);
}
