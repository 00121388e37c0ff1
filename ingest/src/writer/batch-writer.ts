import type { Logger } from "@switchyard/platform";
import type { PendingRow } from "../rows/pending-row.ts";
import type { InsertOutcome } from "./exactly-once-insert.ts";

/**
 * Writes one flush's rows to storage on `lane` (0 … lanes − 1). One lane runs one flush at a time; flushes
 * on different lanes overlap (each lane is its own engine session).
 */
export type RowSink = (rows: readonly PendingRow[], lane: number) => Promise<InsertOutcome>;

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
  /** Flushes running at once, each on its own lane (default 1: strictly one after another). */
  lanes?: number;
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
   * Wall seconds spent in the sink (dedup lookup + inserts), summed over lanes: over a backlog, its share of
   * the elapsed time (at most the lane count) tells whether the engine's statement path bounds throughput.
   */
  flushSeconds: number;
}

/** A write waiting in the buffer. */
interface Buffered {
  rows: readonly PendingRow[];
  waiter: Pick<PromiseWithResolvers<void>, "resolve" | "reject">;
  linger: boolean;
}

/** How one flush's own inserts ended: null, or the error. */
type Failure = { error: unknown } | null;

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
 * - An urgent write (the end of a backlog batch) and a buffer of `maxRows` are flushed as soon as a lane
 *   is free: a backlog drains in full-size inserts (whole writes up to `maxRows`), never waiting. So is a
 *   lingering write that ends its bus batch with half of `maxRows` buffered: that insert is big already, and
 *   waiting delayed a drained backlog's last rows by up to `lingerMs`. Live traffic past half an insert per
 *   `lingerMs` (10,000 events/s by default) is thus inserted as it comes, each insert that big.
 *
 * Up to `lanes` flushes overlap (one engine session each: one session runs one statement at a time). The
 * insert's check-then-write sees only what earlier flushes *committed*, so overlapping flushes keep it exact:
 * - a flush drops the rows whose event_id a flush still inserting holds (those ids are in #inFlightIds from
 *   its start until its inserts ended), counted as duplicates;
 * - its writers are answered only after every earlier flush's writers (offsets commit in order), and are
 *   rejected when its own inserts failed or when a flush that was inserting at its start failed (it may
 *   have dropped that flush's rows): the bus redelivers them, the idempotent insert absorbs what is stored.
 * With one lane nothing is ever in flight at a flush's start, which is the strictly serial writer.
 */
export class BatchWriter {
  readonly #options: BatchWriterOptions;
  #buffer: Buffered[] = [];
  #bufferedRows = 0;
  /** A buffered write asked not to wait (or flush()/stop() did). */
  #urgent = false;
  /** flush()/stop() asked for everything buffered, until the buffer is empty. */
  #forced = false;
  /** When the next lingering flush may start (ms, performance.now()). */
  #lingerUntil = 0;
  /** Ends the drain loop's wait early (a write that may flush, flush()). */
  #wake: (() => void) | null = null;
  /** The running drain (waits and flushes until the buffer is empty), or null when idle. */
  #draining: Promise<void> | null = null;
  #stopped = false;
  readonly #freeLanes: number[];
  /** Each running flush's own inserts (resolve to its Failure, never reject), removed when they ended. */
  readonly #inserting = new Set<Promise<Failure>>();
  /** event_ids of the rows running flushes insert. */
  readonly #inFlightIds = new Set<string>();
  /** Settles once the last started flush answered its writers (so every earlier one did). */
  #answered: Promise<void> = Promise.resolve();
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
    const lanes = Math.max(1, Math.floor(options.lanes ?? 1));
    this.#freeLanes = Array.from({ length: lanes }, (_, lane) => lanes - 1 - lane);
  }

  /** Buffers `rows`; resolves once the flush holding them succeeded. `linger`, `endsBatch`: the class comment. */
  write(rows: readonly PendingRow[], options: { linger?: boolean; endsBatch?: boolean } = {}): Promise<void> {
    if (this.#stopped) return Promise.reject(new Error(`batch writer ${this.#options.name} is stopped`));
    if (rows.length === 0) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const idle = this.#draining === null;
    const wasEmpty = this.#bufferedRows === 0;
    const halfInsert = options.endsBatch === true && this.#bufferedRows + rows.length >= this.#options.maxRows / 2;
    const linger = options.linger === true && this.#options.lingerMs > 0 && !halfInsert;
    this.#buffer.push({ rows, waiter: { resolve, reject }, linger });
    this.#bufferedRows += rows.length;
    if (!linger) this.#urgent = true;
    if (idle) {
      this.#lingerUntil = performance.now() + this.#options.lingerMs;
      void this.#drain();
    } else if (wasEmpty || this.#mayFlush()) {
      // The loop may be waiting for an insert to end with no deadline: let it look again.
      this.#wake?.();
    }
    return promise;
  }

  /** Flushes whatever is buffered and waits until every flush so far has ended. */
  async flush(): Promise<void> {
    if (this.#bufferedRows > 0) this.#urgent = this.#forced = true;
    this.#wake?.();
    await this.#drain();
  }

  /** Refuses new rows and drains the buffer. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.flush();
  }

  stats(): BatchWriterStats {
    return { ...this.#stats, bufferedRows: this.#bufferedRows };
  }

  /** Whether the buffered rows may be flushed now rather than at #lingerUntil. */
  #mayFlush(): boolean {
    return this.#urgent || this.#bufferedRows >= this.#options.maxRows || performance.now() >= this.#lingerUntil;
  }

  /** Starts draining unless a drain is already running; resolves when the buffer is empty. */
  #drain(): Promise<void> {
    this.#draining ??= this.#drainLoop().finally(() => {
      this.#draining = null;
      // Rows written after the loop's last look but before this callback saw a drain running: flush them.
      if (this.#bufferedRows > 0) void this.#drain();
    });
    return this.#draining;
  }

  async #drainLoop(): Promise<void> {
    // Writes made in the same event-loop turn as the one that started the drain join its first flush.
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      const laneFree = this.#freeLanes.length > 0;
      if (this.#bufferedRows > 0 && laneFree && this.#mayFlush()) {
        this.#startFlush(this.#take());
        continue;
      }
      if (this.#bufferedRows === 0 && this.#inserting.size === 0) break;
      // Until a write that may flush, a lane freeing (or the last insert ending), or the linger deadline.
      const deadline = this.#bufferedRows > 0 && laneFree ? this.#lingerUntil - performance.now() : null;
      await this.#wait(deadline);
    }
    await this.#answered;
  }

  /** The oldest whole writes up to maxRows rows (at least one), out of the buffer. */
  #take(): Buffered[] {
    let rows = 0;
    let count = 0;
    while (count < this.#buffer.length) {
      const next = this.#buffer[count]!.rows.length;
      if (count > 0 && rows + next > this.#options.maxRows) break;
      rows += next;
      count += 1;
    }
    const taken = this.#buffer.splice(0, count);
    this.#bufferedRows -= rows;
    if (this.#bufferedRows === 0) this.#forced = false;
    this.#urgent = this.#forced || this.#buffer.some((write) => !write.linger);
    this.#lingerUntil = performance.now() + this.#options.lingerMs;
    return taken;
  }

  /** Sleeps up to `ms` (null: no deadline), or until #wake is called or a running flush's inserts end. */
  #wait(ms: number | null): Promise<unknown> {
    const woken = new Promise<void>((resolve) => {
      const timer = ms === null ? undefined : setTimeout(() => done(), Math.max(0, ms));
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      this.#wake = done;
    });
    return Promise.race([woken, ...this.#inserting]).finally(() => this.#wake?.());
  }

  /** Runs one flush on a free lane; its writers are answered in start order (see the class comment). */
  #startFlush(writes: Buffered[]): void {
    const lane = this.#freeLanes.pop()!;
    const running = [...this.#inserting];
    const rows: PendingRow[] = [];
    for (const write of writes) for (const row of write.rows) rows.push(row);
    // Rows a running flush inserts are its to store (or to fail, which fails this flush too).
    const kept = running.length === 0 ? rows : rows.filter((row) => !this.#inFlightIds.has(row.eventId));
    for (const row of kept) this.#inFlightIds.add(row.eventId);
    const inserted: Promise<Failure> = this.#insert(kept, lane).then((failure) => {
      for (const row of kept) this.#inFlightIds.delete(row.eventId);
      this.#inserting.delete(inserted);
      this.#freeLanes.push(lane);
      if (failure === null) this.#stats.duplicatesSkipped += rows.length - kept.length;
      return failure;
    });
    this.#inserting.add(inserted);
    const earlier = this.#answered;
    this.#answered = (async () => {
      const own = await inserted;
      const overlapped = (await Promise.all(running)).find((failure) => failure !== null) ?? null;
      await earlier;
      const failure = own ?? overlapped;
      if (failure === null) for (const write of writes) write.waiter.resolve();
      else {
        if (own === null) {
          this.#options.logger.warn(
            { writer: this.#options.name, rows: rows.length },
            "flush stored its rows but a flush running beside it failed; the bus will redeliver both",
          );
        }
        for (const write of writes) write.waiter.reject(failure.error);
      }
    })();
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

  /** The flush's inserts on `lane`, never rejecting: its Failure, or null. */
  async #insert(rows: PendingRow[], lane: number): Promise<Failure> {
    const { name, sink, logger, maxRows } = this.#options;
    try {
      // One bus batch can exceed maxRows; inserts stay bounded. If a later chunk fails, the earlier ones
      // are stored but every waiter is rejected: the redelivery finds those rows and skips them.
      for (let start = 0; start < rows.length; start += maxRows) {
        const outcome = await this.#timed(() => sink(rows.slice(start, start + maxRows), lane));
        this.#stats.flushes += 1;
        this.#stats.rowsWritten += outcome.inserted;
        this.#stats.duplicatesSkipped += outcome.duplicates;
        this.#stats.lastFlushAt = new Date().toISOString();
        if (outcome.duplicates > 0) logger.info({ writer: name, ...outcome }, "dropped duplicate events");
      }
      return null;
    } catch (error) {
      this.#stats.failedFlushes += 1;
      logger.error({ writer: name, rows: rows.length, err: error }, "flush failed; the bus will redeliver");
      return { error };
    }
  }
}
