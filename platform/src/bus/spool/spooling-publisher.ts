import type { Logger } from "../../logger.ts";
import { type BackoffPolicy, backoffDelay, sleep } from "../backoff.ts";
import type { EventBus, OutgoingRecord } from "../event-bus.ts";
import { DiskSpool, type SpooledRecord, type SpoolFile } from "./disk-spool.ts";

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
  /** How long a record may wait for a batch to fill. Default 20 ms. */
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

/** Splits a batch into runs of consecutive records of one topic: one publish() per run, order kept. */
function topicRuns(entries: readonly SpooledRecord[]): { topic: string; entries: SpooledRecord[] }[] {
  const runs: { topic: string; entries: SpooledRecord[] }[] = [];
  for (const entry of entries) {
    const last = runs.at(-1);
    if (last && last.topic === entry.topic) last.entries.push(entry);
    else runs.push({ topic: entry.topic, entries: [entry] });
  }
  return runs;
}

/**
 * Fire-and-forget event publishing for the gateway. enqueue() is synchronous and never blocks or
 * throws; a background flusher publishes batches. When the bus fails the batch is fsync'd to a
 * disk spool and the publisher turns degraded: new batches go to the spool too (so they stay
 * behind the older ones) until the replay loop has drained it back into the bus. At-least-once:
 * a spool file is deleted only after the bus acknowledged all of its records.
 */
export class SpoolingPublisher {
  private readonly options: SpoolingPublisherOptions;
  private readonly spool: DiskSpool;
  private readonly maxQueue: number;
  private readonly maxBatch: number;
  private queue: SpooledRecord[] = [];
  private inFlight = 0;
  private pendingSpoolWrites = 0;
  private degraded: boolean;
  private counters = { published: 0, spilled: 0, lost: 0 };
  private lingerTimer: ReturnType<typeof setTimeout> | null = null;
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

  enqueue(topic: string, record: OutgoingRecord): void {
    try {
      if (this.closing.signal.aborted) {
        this.counters.lost += 1;
        this.options.logger.error({ topic }, "enqueue after close(): record dropped");
        return;
      }
      this.queue.push({ topic, record });
      if (this.queue.length > this.maxQueue) {
        // Spill the whole queue, not just the newcomer, so records keep their relative order.
        const spilled = this.queue.splice(0);
        this.inFlight += spilled.length;
        void this.toSpool(spilled, "queue full").finally(() => {
          this.inFlight -= spilled.length;
        });
        return;
      }
      this.scheduleFlush();
    } catch (error) {
      this.options.logger.error({ err: error, topic }, "enqueue failed");
    }
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
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    this.wakeReplay();
    await this.flushing;
    await this.drainQueue();
    await this.replaying;
    await this.spool.close();
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    if (this.queue.length >= this.maxBatch) this.startFlush();
    else this.lingerTimer ??= setTimeout(() => this.startFlush(), this.options.lingerMs ?? 20);
  }

  private startFlush(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
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

  private async publishOrSpool(batch: SpooledRecord[]): Promise<void> {
    const runs = topicRuns(batch);
    for (const [i, run] of runs.entries()) {
      try {
        await this.options.bus.publish(
          run.topic,
          run.entries.map((e) => e.record),
        );
        this.counters.published += run.entries.length;
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

  private async toSpool(entries: SpooledRecord[], reason: string): Promise<void> {
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
