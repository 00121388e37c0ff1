import type { Logger } from "@switchyard/platform";
import type { PendingRow } from "../rows/pending-row.ts";
import type { InsertOutcome } from "./exactly-once-insert.ts";

/** Writes one flush's rows to storage; called for one flush at a time. */
export type RowSink = (rows: readonly PendingRow[]) => Promise<InsertOutcome>;

export interface BatchWriterOptions {
  name: string;
  sink: RowSink;
  /** Flush as soon as this many rows are buffered; also the most rows one insert carries. */
  maxRows: number;
  /** Flush rows that have waited this long, even when the batch is not full. */
  flushIntervalMs: number;
  logger: Logger;
  /** Told about every insert: its duration in seconds and outcome (telemetry's insert latency). */
  onInsert?: (seconds: number, outcome: InsertOutcome | "error") => void;
}

export interface BatchWriterStats {
  rowsWritten: number;
  duplicatesSkipped: number;
  flushes: number;
  failedFlushes: number;
  bufferedRows: number;
  lastFlushAt: string | null;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Buffers rows from many bus batches into few ClickHouse inserts. `write()` resolves only after the flush
 * holding its rows succeeded, so a bus handler that awaits it commits offsets only for stored rows; a failed
 * flush rejects every writer in it, and the bus redelivers all of them (the insert is idempotent).
 * Flushes run strictly one after another: the insert's check-then-write relies on that.
 */
export class BatchWriter {
  readonly #options: BatchWriterOptions;
  #rows: PendingRow[] = [];
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly #stats: BatchWriterStats = {
    rowsWritten: 0,
    duplicatesSkipped: 0,
    flushes: 0,
    failedFlushes: 0,
    bufferedRows: 0,
    lastFlushAt: null,
  };

  constructor(options: BatchWriterOptions) {
    this.#options = options;
  }

  write(rows: readonly PendingRow[]): Promise<void> {
    if (this.#stopped) return Promise.reject(new Error(`batch writer ${this.#options.name} is stopped`));
    if (rows.length === 0) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#rows.push(...rows);
    this.#waiters.push({ resolve, reject });
    if (this.#rows.length >= this.#options.maxRows) this.#enqueueFlush();
    else this.#timer ??= setTimeout(() => this.#enqueueFlush(), this.#options.flushIntervalMs);
    return promise;
  }

  /** Flushes whatever is buffered and waits for every flush queued so far. */
  async flush(): Promise<void> {
    this.#enqueueFlush();
    await this.#queue;
  }

  /** Refuses new rows and drains the buffer. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.flush();
  }

  stats(): BatchWriterStats {
    return { ...this.#stats, bufferedRows: this.#rows.length };
  }

  #enqueueFlush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#rows.length === 0) return;
    const rows = this.#rows;
    const waiters = this.#waiters;
    this.#rows = [];
    this.#waiters = [];
    // #flushRows never rejects, so the queue stays usable after a failed flush.
    this.#queue = this.#queue.then(() => this.#flushRows(rows, waiters));
  }

  async #timed(insert: () => Promise<InsertOutcome>): Promise<InsertOutcome> {
    const onInsert = this.#options.onInsert;
    if (!onInsert) return insert();
    const started = performance.now();
    try {
      const outcome = await insert();
      onInsert((performance.now() - started) / 1000, outcome);
      return outcome;
    } catch (error) {
      onInsert((performance.now() - started) / 1000, "error");
      throw error;
    }
  }

  async #flushRows(rows: PendingRow[], waiters: Waiter[]): Promise<void> {
    const { name, sink, logger, maxRows } = this.#options;
    try {
      // One bus batch can exceed maxRows; inserts stay bounded. If a later chunk fails, the earlier ones
      // are stored but every waiter is rejected: the redelivery finds those rows and skips them.
      for (let start = 0; start < rows.length; start += maxRows) {
        const outcome = await this.#timed(() => sink(rows.slice(start, start + maxRows)));
        this.#stats.flushes += 1;
        this.#stats.rowsWritten += outcome.inserted;
        this.#stats.duplicatesSkipped += outcome.duplicates;
        this.#stats.lastFlushAt = new Date().toISOString();
        if (outcome.duplicates > 0) logger.info({ writer: name, ...outcome }, "dropped duplicate events");
      }
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      this.#stats.failedFlushes += 1;
      logger.error({ writer: name, rows: rows.length, err: error }, "flush failed; the bus will redeliver");
      for (const waiter of waiters) waiter.reject(error);
    }
  }
}
