import type { Logger } from "@switchyard/platform";
import type { PendingRow } from "../rows/pending-row.ts";
import type { InsertOutcome } from "./exactly-once-insert.ts";

/** Writes one flush's rows to storage; called for one flush at a time. */
export type RowSink = (rows: readonly PendingRow[]) => Promise<InsertOutcome>;

export interface BatchWriterOptions {
  name: string;
  sink: RowSink;
  /** Most rows one insert carries; a bigger flush is split into inserts of at most this many. */
  maxRows: number;
  /**
   * How long an idle writer waits for more rows before it flushes (0: flush on the next event-loop turn).
   * Rows that arrive while a flush is running never wait for a timer: they form the next flush.
   */
  lingerMs: number;
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
 *
 * Group commit, not a timer: an idle writer flushes what it has at once (after `lingerMs`, default 0),
 * and whatever arrives while that flush runs is flushed, all together, as soon as it ends. A handler that
 * waits for its rows therefore never waits for rows that cannot come (its own partition is blocked on it),
 * and under load the inserts grow by themselves to what arrived during the previous one.
 * Flushes run strictly one after another: the insert's check-then-write relies on that.
 */
export class BatchWriter {
  readonly #options: BatchWriterOptions;
  #rows: PendingRow[] = [];
  #waiters: Waiter[] = [];
  #scheduled: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** The running drain (flushes until the buffer is empty), or null when idle. */
  #draining: Promise<void> | null = null;
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
    for (const row of rows) this.#rows.push(row);
    this.#waiters.push({ resolve, reject });
    // A running drain picks these rows up when its current flush ends.
    if (!this.#draining && !this.#scheduled) {
      const start = () => {
        this.#scheduled = undefined;
        this.#drain();
      };
      const { lingerMs } = this.#options;
      this.#scheduled = lingerMs > 0 ? setTimeout(start, lingerMs) : setImmediate(start);
    }
    return promise;
  }

  /** Flushes whatever is buffered and waits until every flush so far has ended. */
  async flush(): Promise<void> {
    this.#cancelScheduled();
    await this.#drain();
  }

  /** Refuses new rows and drains the buffer. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.flush();
  }

  stats(): BatchWriterStats {
    return { ...this.#stats, bufferedRows: this.#rows.length };
  }

  #cancelScheduled(): void {
    if (this.#scheduled === undefined) return;
    clearTimeout(this.#scheduled as NodeJS.Timeout);
    clearImmediate(this.#scheduled as NodeJS.Immediate);
    this.#scheduled = undefined;
  }

  /** Starts draining unless a drain is already running; resolves when the buffer is empty. */
  #drain(): Promise<void> {
    this.#draining ??= this.#drainLoop().finally(() => {
      this.#draining = null;
      // Rows written after the loop's last look but before this callback saw a drain running: flush them.
      if (this.#rows.length > 0) void this.#drain();
    });
    return this.#draining;
  }

  async #drainLoop(): Promise<void> {
    while (this.#rows.length > 0) {
      const rows = this.#rows;
      const waiters = this.#waiters;
      this.#rows = [];
      this.#waiters = [];
      // #flushRows never rejects, so a failed flush does not stop the rows queued behind it.
      await this.#flushRows(rows, waiters);
    }
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
