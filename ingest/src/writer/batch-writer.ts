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
   * How long an idle writer waits for more rows when a write asks it to linger (its bus batch was
   * partial: the log is drained, so more rows only come with time). Bounds the inserts per second
   * under live load; a write that does not ask (a full batch: a backlog) is flushed at once.
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
  /**
   * Wall seconds spent in the sink (dedup lookup + inserts), summed: over a backlog, its share of the
   * elapsed time tells whether the engine's serial statement path is what bounds throughput.
   */
  flushSeconds: number;
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
 * Group commit with a bounded insert rate. Every insert costs the engine ~50-100 ms of CPU whatever its
 * size (the projections' query pipelines, one part's files and their fsyncs; measured in
 * test/bench/ingest-probe.ts), so the insert count, not the row count, is what live traffic costs:
 * - A lingering write (its bus batch was partial: the log is drained) waits until `lingerMs` after the
 *   last flush started, or after it arrived at an idle writer. Rows that come meanwhile join it. Live
 *   traffic therefore makes at most one insert per `lingerMs`, however slow the engine is; flushing
 *   as soon as the previous insert ended made a slow engine's inserts small and back to back (each
 *   carried only what arrived during the last one), a CPU spent on fixed costs.
 * - An urgent write (the end of a backlog batch) and a buffer of `maxRows` are flushed as soon as the
 *   running flush ends: a backlog drains in full-size inserts, never waiting.
 * Flushes run strictly one after another: the insert's check-then-write relies on that.
 */
export class BatchWriter {
  readonly #options: BatchWriterOptions;
  #rows: PendingRow[] = [];
  #waiters: Waiter[] = [];
  /** A buffered write asked not to wait (or flush()/stop() did). */
  #urgent = false;
  /** When the next lingering flush may start (ms, performance.now()). */
  #lingerUntil = 0;
  /** Ends the drain loop's linger wait early (an urgent write, a full buffer, flush()). */
  #wake: (() => void) | null = null;
  /** The running drain (waits and flushes until the buffer is empty), or null when idle. */
  #draining: Promise<void> | null = null;
  #stopped = false;
  readonly #stats: BatchWriterStats = {
    rowsWritten: 0,
    duplicatesSkipped: 0,
    flushes: 0,
    failedFlushes: 0,
    bufferedRows: 0,
    lastFlushAt: null,
    flushSeconds: 0,
  };

  constructor(options: BatchWriterOptions) {
    this.#options = options;
  }

  /** Buffers `rows`; resolves once the flush holding them succeeded. `linger`: see the class comment. */
  write(rows: readonly PendingRow[], options: { linger?: boolean } = {}): Promise<void> {
    if (this.#stopped) return Promise.reject(new Error(`batch writer ${this.#options.name} is stopped`));
    if (rows.length === 0) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const idle = this.#draining === null;
    for (const row of rows) this.#rows.push(row);
    this.#waiters.push({ resolve, reject });
    if (options.linger !== true || this.#options.lingerMs <= 0) this.#urgent = true;
    if (idle) {
      this.#lingerUntil = performance.now() + this.#options.lingerMs;
      void this.#drain();
    } else if (this.#mayFlush()) {
      this.#wake?.();
    }
    return promise;
  }

  /** Flushes whatever is buffered and waits until every flush so far has ended. */
  async flush(): Promise<void> {
    if (this.#rows.length > 0) this.#urgent = true;
    this.#wake?.();
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

  /** Whether the buffered rows may be flushed now rather than at #lingerUntil. */
  #mayFlush(): boolean {
    return this.#urgent || this.#rows.length >= this.#options.maxRows || performance.now() >= this.#lingerUntil;
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
    // Writes made in the same event-loop turn as the one that started the drain join its first flush.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#rows.length > 0) {
      if (!this.#mayFlush()) {
        await this.#lingerWait(this.#lingerUntil - performance.now());
        continue;
      }
      const rows = this.#rows;
      const waiters = this.#waiters;
      this.#rows = [];
      this.#waiters = [];
      this.#urgent = false;
      this.#lingerUntil = performance.now() + this.#options.lingerMs;
      // #flushRows never rejects, so a failed flush does not stop the rows queued behind it.
      await this.#flushRows(rows, waiters);
    }
  }

  /** Sleeps up to `ms`, or until #wake is called. */
  #lingerWait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#wake = done;
    });
  }

  async #timed(insert: () => Promise<InsertOutcome>): Promise<InsertOutcome> {
    const onInsert = this.#options.onInsert;
    const started = performance.now();
    try {
      const outcome = await insert();
      const seconds = (performance.now() - started) / 1000;
      this.#stats.flushSeconds += seconds;
      onInsert?.(seconds, outcome);
      return outcome;
    } catch (error) {
      const seconds = (performance.now() - started) / 1000;
      this.#stats.flushSeconds += seconds;
      onInsert?.(seconds, "error");
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
