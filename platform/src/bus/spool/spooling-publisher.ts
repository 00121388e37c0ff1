import type { Logger } from "../../logger.ts";
import { type BackoffPolicy, backoffDelay, sleep } from "../backoff.ts";
import type { EventBus, OutgoingRecord } from "../event-bus.ts";
import { DiskSpool, type SpoolFile } from "./disk-spool.ts";
import { type QueuedRecord, settleAll, topicRuns } from "./queued-record.ts";

export interface SpoolingPublisherOptions {
  /** Where records go; only publish() is used. */
  bus: Pick<EventBus, "publish">;
  /** Directory of this process' spool files (one publisher per directory). */
  spoolDir: string;
  logger: Logger;
  /** In-memory queue bound; beyond it records are spilled to disk. Default 10 000. */
  maxQueueRecords?: number;
  /** Most records per publish() call. Default 500. */
  maxBatchRecords?: number;
  /**
   * How long a record may wait for a batch to fill. Default 0: group commit — an idle publisher
   * flushes at once (after the current event-loop turn), and records arriving while a batch is in
   * flight form the next one. Every ms here is added to the answer of a caller awaiting enqueue().
   */
  lingerMs?: number;
  /** Spool files roll at this size. Default 16 MiB. */
  spoolFileBytes?: number;
  /** Delay between replay attempts while the bus keeps failing. */
  replayBackoff?: BackoffPolicy;
}

export interface SpoolingPublisherStats {
  /**
   * Records in memory: queued (at most maxQueueRecords) or inside a publish/spool call. A burst
   * faster than the disk can briefly hold more, since enqueue() never waits for the spill.
   */
  queueDepth: number;
  /** Records on disk waiting to be replayed. */
  spooledRecords: number;
  /** Records the bus acknowledged (directly or by replay). */
  published: number;
  /** Records ever written to the spool (bus failure or full queue). */
  spilled: number;
  /** Records lost because the spool itself could not be written (disk failure); should stay 0. */
  lost: number;
  /** True while records are routed through the spool. */
  degraded: boolean;
}

/**
 * Event publishing for the gateway. enqueue() never blocks or throws; its promise resolves once
 * the record is durable — accepted by the bus (written to the embedded log's file, fdatasync'd
 * within its fsync interval; Kafka acks=all) or fsync'd to the disk spool — and never rejects (a record the spool cannot take either is
 * counted `lost` and logged). The gateway awaits it before the last byte of an answer, so an
 * answered request survives a SIGKILL. A background flusher publishes batches by group commit. When the bus fails the batch is fsync'd to a
 * disk spool and the publisher turns degraded: new batches go to the spool too (so they stay
 * behind the older ones) until the replay loop has drained it back into the bus. At-least-once:
 * a spool file is deleted only after the bus acknowledged all of its records.
 */
export class SpoolingPublisher {
  private readonly options: SpoolingPublisherOptions;
  private readonly spool: DiskSpool;
  private readonly maxQueue: number;
  private readonly maxBatch: number;
  private queue: QueuedRecord[] = [];
  private inFlight = 0;
  private pendingSpoolWrites = 0;
  private degraded: boolean;
  private counters = { published: 0, spilled: 0, lost: 0 };
  /** Cancels the scheduled flush (a timer, or an immediate for group commit); null when none. */
  private cancelScheduled: (() => void) | null = null;
  private flushing: Promise<void> | null = null;
  private replayWake: (() => void) | null = null;
  /** Set by wakeReplay(); checked before sleeping so a wake-up between check and wait is not lost. */
  private replayWakeRequested = false;
  private replayFile: { file: SpoolFile; done: number } | null = null;
  private readonly closing = new AbortController();
  private readonly replaying: Promise<void>;

  private constructor(options: SpoolingPublisherOptions, spool: DiskSpool) {
    this.options = options;
    this.spool = spool;
    this.maxQueue = options.maxQueueRecords ?? 10_000;
    this.maxBatch = options.maxBatchRecords ?? 500;
    // A spool left by a previous process goes out before anything new.
    this.degraded = spool.records > 0;
    this.replaying = this.replayLoop();
  }

  static async start(options: SpoolingPublisherOptions): Promise<SpoolingPublisher> {
    const spool = await DiskSpool.open(options.spoolDir, options.spoolFileBytes ?? 16 * 1024 * 1024, options.logger);
    if (spool.records > 0) options.logger.info({ records: spool.records }, "replaying spool left by a previous run");
    return new SpoolingPublisher(options, spool);
  }

  enqueue(topic: string, record: OutgoingRecord): Promise<void> {
    let settle: () => void = noop;
    const durable = new Promise<void>((resolve) => {
      settle = resolve;
    });
    try {
      if (this.closing.signal.aborted) {
        this.counters.lost += 1;
        this.options.logger.error({ topic }, "enqueue after close(): record dropped");
        settle();
        return durable;
      }
      this.queue.push({ topic, record, settle });
      if (this.queue.length > this.maxQueue) {
        // Spill the whole queue, not just the newcomer, so records keep their relative order.
        const spilled = this.queue.splice(0);
        this.inFlight += spilled.length;
        void this.toSpool(spilled, "queue full").finally(() => {
          this.inFlight -= spilled.length;
        });
        return durable;
      }
      this.scheduleFlush();
    } catch (error) {
      this.options.logger.error({ err: error, topic }, "enqueue failed");
      settle();
    }
    return durable;
  }

  stats(): SpoolingPublisherStats {
    return {
      queueDepth: this.queue.length + this.inFlight,
      spooledRecords: this.spool.records - (this.replayFile?.done ?? 0),
      ...this.counters,
      degraded: this.degraded,
    };
  }

  /** Publishes or spools everything still in memory, stops replaying, closes the spool. */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    this.clearLinger();
    this.wakeReplay();
    await this.flushing;
    await this.drainQueue();
    await this.replaying;
    await this.spool.close();
  }

  private scheduleFlush(): void {
    if (this.flushing || this.cancelScheduled) return;
    if (this.queue.length >= this.maxBatch) {
      this.startFlush();
      return;
    }
    const lingerMs = this.options.lingerMs ?? 0;
    // Group commit: records enqueued in this event-loop turn (and while a batch is in flight) share a batch.
    if (lingerMs > 0) {
      const timer = setTimeout(this.startFlushBound, lingerMs);
      this.cancelScheduled = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(this.startFlushBound);
      this.cancelScheduled = () => clearImmediate(immediate);
    }
  }

  private readonly startFlushBound = (): void => this.startFlush();

  private startFlush(): void {
    this.clearLinger();
    if (this.flushing || this.closing.signal.aborted) return;
    this.flushing = this.drainQueue().finally(() => {
      this.flushing = null;
      if (this.queue.length > 0) this.scheduleFlush();
    });
  }

  /** Publishes queued records batch by batch; whatever cannot be published is spooled. */
  private async drainQueue(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += batch.length;
      try {
        if (this.degraded) await this.toSpool(batch, "degraded");
        else await this.publishOrSpool(batch);
      } finally {
        this.inFlight -= batch.length;
      }
    }
  }

  private clearLinger(): void {
    this.cancelScheduled?.();
    this.cancelScheduled = null;
  }

  private async publishOrSpool(batch: QueuedRecord[]): Promise<void> {
    const runs = topicRuns(batch);
    for (const [i, run] of runs.entries()) {
      try {
        // Written is enough to answer (SIGKILL-safe; the log's fsync follows within about a ms).
        await this.options.bus.publish(
          run.topic,
          run.entries.map((e) => e.record),
          { written: true },
        );
        this.counters.published += run.entries.length;
        settleAll(run.entries);
      } catch (error) {
        this.options.logger.warn({ err: error, records: batch.length }, "publish failed; spooling to disk");
        await this.toSpool(
          runs.slice(i).flatMap((r) => r.entries),
          "publish failed",
        );
        return;
      }
    }
  }

  private async toSpool(entries: QueuedRecord[], reason: string): Promise<void> {
    if (!this.degraded) this.options.logger.warn({ reason }, "event publishing degraded: spooling to disk");
    this.degraded = true;
    this.pendingSpoolWrites += 1;
    try {
      await this.spool.append(entries);
      this.counters.spilled += entries.length;
    } catch (error) {
      this.counters.lost += entries.length;
      this.options.logger.error({ err: error, records: entries.length }, "spool write failed: records lost");
    } finally {
      this.pendingSpoolWrites -= 1;
      settleAll(entries);
      this.wakeReplay();
    }
  }

  private wakeReplay(): void {
    this.replayWakeRequested = true;
    this.replayWake?.();
  }

  /** Drains the spool back into the bus, oldest file first, with capped backoff while it fails. */
  private async replayLoop(): Promise<void> {
    const signal = this.closing.signal;
    const backoff = this.options.replayBackoff ?? { initialMs: 500, maxMs: 30_000 };
    let failures = 0;
    while (!signal.aborted) {
      this.replayWakeRequested = false;
      try {
        this.replayFile ??= await this.spool.nextFile().then((file) => (file ? { file, done: 0 } : null));
        if (!this.replayFile) {
          if (this.pendingSpoolWrites === 0 && this.spool.records === 0 && this.degraded) {
            this.degraded = false;
            this.options.logger.info("spool drained: publishing directly again");
          }
          if (!this.replayWakeRequested && !signal.aborted) {
            await new Promise<void>((resolve) => {
              this.replayWake = resolve;
            });
          }
          this.replayWake = null;
          continue;
        }
        await this.replay(this.replayFile);
        await this.spool.remove(this.replayFile.file);
        this.replayFile = null;
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        const delayMs = backoffDelay(backoff, failures);
        this.options.logger.warn({ err: error, failures, delayMs }, "spool replay failed; retrying after backoff");
        await sleep(delayMs, signal);
      }
    }
  }

  private async replay(current: { file: SpoolFile; done: number }): Promise<void> {
    while (current.done < current.file.entries.length && !this.closing.signal.aborted) {
      const batch = current.file.entries.slice(current.done, current.done + this.maxBatch);
      const [run] = topicRuns(batch);
      if (!run) return;
      await this.options.bus.publish(
        run.topic,
        run.entries.map((e) => e.record),
      );
      current.done += run.entries.length;
      this.counters.published += run.entries.length;
    }
    if (current.done < current.file.entries.length) throw new Error("replay interrupted by close()");
  }
}

function noop(): void {}
