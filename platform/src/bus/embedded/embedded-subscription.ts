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
  /** Batches of one partition in their handlers at once (SubscribeOptions.maxBatchesInFlight). */
  maxBatchesInFlight: number;
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
 * concurrently for different partitions, and for the same one only up to maxBatchesInFlight batches.
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

/** A batch handed to its handler: where the position moves once it (and all before it) succeeded. */
interface InFlightBatch {
  next: number;
  /** The handler's outcome; never rejects (null: resolved). */
  settled: Promise<{ error: unknown } | null>;
}

async function consumePartition(
  cursor: PartitionCursor,
  options: EmbeddedSubscriptionOptions,
  signal: AbortSignal,
): Promise<void> {
  const { topic, partition, log } = cursor;
  const committed = options.offsets.get(topic, partition);
  /** The committed position: every record before it was handled. */
  let position = committed ?? (options.fromBeginning ? log.startOffset : log.endOffset);
  /** Where the next read starts: past the batches in flight. */
  let readFrom = position;
  let failures = 0;
  /** The read of `readFrom` started while earlier batches were handled (null: read it now). */
  let readAhead: Promise<LogRecord[]> | null = null;
  /** The last offset commit: not awaited before the next batch, only before the loop returns. */
  let committing: Promise<void> = Promise.resolve();
  /** Batches in their handlers, oldest first (at most maxBatchesInFlight). */
  const inFlight: InFlightBatch[] = [];
  const read = (from: number) => readBatch(log, from, options.maxBatchRecords, options.maxBatchBytes);

  /**
   * Waits for the oldest batch in flight. Success moves the position past it and commits (the commit,
   * two fsyncs, runs while later batches are handled; GroupOffsets keeps commits ordered). Failure
   * waits for every later batch to settle — a redelivery must not overtake their rows still being
   * written — then rewinds to the failed batch and backs off. Returns false after a failure.
   */
  async function retireOldest(): Promise<boolean> {
    const oldest = inFlight.shift()!;
    const outcome = await oldest.settled;
    if (outcome === null) {
      failures = 0;
      position = oldest.next;
      committing = options.offsets.commit(topic, partition, position).catch((error: unknown) => {
        // The records were handled; a later commit covers them. Until then a restart redelivers them.
        options.logger.error({ err: error, groupId: options.groupId, topic, partition }, "offset commit failed");
      });
      return true;
    }
    await Promise.all(inFlight.splice(0).map((b) => b.settled));
    readAhead = null;
    readFrom = position;
    failures += 1;
    const delayMs = backoffDelay(options.backoff, failures);
    options.logger.warn(
      { err: outcome.error, groupId: options.groupId, topic, partition, offset: position, failures, delayMs },
      "batch handler failed; redelivering after backoff",
    );
    await sleep(delayMs, signal);
    return false;
  }

  while (!signal.aborted) {
    if (inFlight.length >= options.maxBatchesInFlight) {
      await retireOldest();
      continue;
    }
    let records: LogRecord[];
    try {
      records = await (readAhead ?? read(readFrom));
    } catch (error) {
      readAhead = null;
      failures += 1;
      options.logger.error({ err: error, topic, partition, offset: readFrom }, "embedded consumer: read failed");
      await sleep(backoffDelay(options.backoff, failures), signal);
      continue;
    }
    readAhead = null;
    if (records.length === 0) {
      // Nothing new: finish what is in flight (and commit it) before waiting for appends.
      if (inFlight.length > 0) {
        await retireOldest();
        continue;
      }
      await log.waitForAppend(readFrom, options.pollIntervalMs, signal);
      if (!signal.aborted) await log.refresh();
      continue;
    }
    const next = readFrom + records.length;
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
    const settled = options.handleBatch({ topic, partition, messages }).then(
      () => null,
      (error: unknown) => ({ error }),
    );
    inFlight.push({ next, settled });
    readFrom = next;
  }
  // Stopping: batches already handed over finish, and those that succeeded in order are committed.
  while (inFlight.length > 0 && (await retireOldest()));
  await Promise.all([committing, readAhead?.catch(() => undefined)]);
}
