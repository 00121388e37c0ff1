import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { EventBus, Logger, MessageBatch, SubscribeOptions, Subscription } from "@switchyard/platform";
import { type PendingRow, packRows } from "../rows/pending-row.ts";
import type { IngestTelemetry } from "../telemetry/ingest-telemetry.ts";
import { type DeadLetter, publishDeadLetters } from "./dead-letters.ts";
import type { TopicRoute } from "./topic-route.ts";

/** Messages decoded per event-loop turn (~5 ms of JSON + schema work). */
const DECODE_SLICE = 500;

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
  /** Records per bus batch ingest asks for (one insert's worth). */
  batchMaxRecords?: number;
  /** Batches of one partition in their handlers at once (embedded log; default 2). */
  maxBatchesInFlight?: number;
}

/*
 * The batch size ingest asks the bus for (SubscribeOptions.maxBatchRecords/Bytes): a ClickHouse insert
 * costs tens of ms of engine CPU whatever its size, so the embedded log's default of 500 records per
 * batch (one partition delivers one batch at a time, and its handler waits for the insert) would cap
 * ingest far below what one insert's worth reaches. Kafka keeps its own fetch size (bytes per partition).
 * The bytes budget per batch bounds memory per partition in flight, with room for ~20,000 typical events
 * (fewer when they carry prompt and answer bodies).
 */
const MAX_BATCH_BYTES = 32 * 1024 * 1024;

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
  /** End offset per topic-partition as last read from the bus (end offsets only grow). */
  const knownEnds = new Map<string, bigint>();

  /**
   * Whether the log already holds, after this batch, at least as many records again and at least a quarter
   * of a full batch (batchMaxRecords): a backlog, whose rows are flushed without waiting. Anything less is
   * live traffic (a few records arrive while a batch is handled), whose rows linger so that it makes at
   * most one insert per flush interval: counting "as many again" alone, a slow engine's small batches all
   * looked like a backlog and were inserted back to back. The quarter keeps a Kafka partition (fetches of
   * ~1 MB) from lingering on a lag of thousands. A remembered end far enough ahead is still true (ends only
   * grow); else the bus is asked.
   */
  async function backlogAfter(batch: MessageBatch): Promise<boolean> {
    const next = BigInt(batch.messages.at(-1)!.offset) + 1n;
    const enough = next + BigInt(Math.max(batch.messages.length, Math.ceil((options.batchMaxRecords ?? 0) / 4)));
    const key = `${batch.topic}\0${batch.partition}`;
    if ((knownEnds.get(key) ?? -1n) >= enough) return true;
    try {
      for (const [partition, end] of await bus.endOffsets(batch.topic)) {
        knownEnds.set(`${batch.topic}\0${partition}`, BigInt(end));
      }
    } catch {
      return true; // unknown: do not wait
    }
    return (knownEnds.get(key) ?? -1n) >= enough;
  }

  async function handleBatch(batch: MessageBatch): Promise<void> {
    if (options.telemetry) return options.telemetry.processBatch(batch, () => storeBatch(batch));
    await storeBatch(batch);
  }

  /**
   * The batches in flight are decoded one at a time, in the order the bus handed them over; their writes
   * still overlap. Decoding them by turns, a slice of each (as the event loop happened to schedule them),
   * finished every one of them late: lanes waited for rows, the writer took its inserts from a mix of
   * batches (smaller, more of them), and more objects lived across slices. See ingest/README.md, Throughput.
   */
  let decoding: Promise<unknown> = Promise.resolve();
  function inDecodeOrder<T>(decode: () => Promise<T>): Promise<T> {
    const turn = decoding.then(decode);
    // The batch's own caller sees its failure; the next still runs (and holds no reference to this one's rows).
    decoding = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  async function storeBatch(batch: MessageBatch): Promise<{ deadLetters: number }> {
    // Asked before the batch's turn: the bus's end offsets are I/O, which the decodes need not wait behind.
    const backlog = batch.messages.length > 0 && (await backlogAfter(batch));
    const { letters, writes } = await inDecodeOrder(() => decodeBatch(batch, backlog));
    for (const { message, reason } of letters) {
      logger.warn({ topic: message.topic, partition: message.partition, offset: message.offset, reason }, "poison");
    }
    if (options.publishDeadLetters) writes.push(publishDeadLetters(bus, letters, groupId));
    // Settle every write before failing: a redelivery must not overtake this batch's rows still in a flush.
    const failed = (await Promise.allSettled(writes)).find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    stats.batches += 1;
    stats.messages += batch.messages.length;
    stats.deadLetters += letters.length;
    return { deadLetters: letters.length };
  }

  /**
   * Decodes the batch slice by slice, handing each slice's rows to the writer: its writes and its poison.
   * `backlog`: the batch's last slice is flushed at once (the writer also flushes whenever it holds a full
   * insert); else the log is (nearly) drained and the writer lingers for more rows.
   */
  async function decodeBatch(
    batch: MessageBatch,
    backlog: boolean,
  ): Promise<{ letters: DeadLetter[]; writes: Promise<void>[] }> {
    const route = routes.get(batch.topic);
    const letters: DeadLetter[] = [];
    const writes: Promise<void>[] = [];
    const { messages } = batch;
    // Decode a slice, hand its rows to the writer, yield, repeat: a big batch does not stall a gateway
    // sharing this event loop, and its rows wait in the writer as compact lines, not as event objects.
    for (let start = 0; start < messages.length; start += DECODE_SLICE) {
      if (start > 0) await yieldToEventLoop();
      const rows: PendingRow[] = [];
      for (const message of messages.slice(start, start + DECODE_SLICE)) {
        const decoded = route ? route.decode(message) : { ok: false as const, reason: `no route for ${batch.topic}` };
        if (decoded.ok) rows.push(decoded.row);
        else letters.push({ message, reason: decoded.reason });
      }
      const last = start + DECODE_SLICE >= messages.length;
      // The slice's lines as one UTF-8 buffer: the insert sends its ranges as they are.
      packRows(rows);
      if (route && rows.length > 0) {
        const write = route.writer.write(rows, { linger: !(backlog && last), endsBatch: last });
        // Handled now, awaited by storeBatch: a slice's flush can fail while later slices are still decoded,
        // and an unhandled rejection ends the process (the gateway with it, in the one-process stack).
        write.catch(() => undefined);
        writes.push(write);
      }
    }
    return { letters, writes };
  }

  const subscribeOptions: SubscribeOptions = {
    groupId,
    topics: options.routes.map((r) => r.topic),
    fromBeginning: options.fromBeginning,
    handleBatch,
    maxBatchRecords: options.batchMaxRecords,
    // Kafka reads maxBatchBytes per partition per fetch: it keeps its default, the embedded log takes ours.
    maxBatchBytes: options.batchMaxRecords === undefined || bus.kind === "kafka" ? undefined : MAX_BATCH_BYTES,
    // The next batch is decoded (main thread) while the engine inserts the last (a pool thread): one
    // batch in flight left the event loop idle during every insert. Ingest asks for one more than its
    // insert lanes, so every lane has a batch while the next is decoded. Redelivered later batches after a
    // failure are absorbed by the idempotent insert, as any redelivery is.
    maxBatchesInFlight: options.maxBatchesInFlight ?? 2,
  };
  const subscription = await bus.subscribe(subscribeOptions);
  return { subscription, stats: () => ({ ...stats }) };
}
