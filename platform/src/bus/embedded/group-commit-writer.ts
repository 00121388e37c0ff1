import type { OutgoingRecord } from "../event-bus.ts";
import { partitionForKey } from "../partition-for-key.ts";
import type { PartitionLog } from "./partition-log.ts";

/** An open topic: its partition logs and the round-robin cursor for records without a key. */
export interface OpenTopic {
  name: string;
  /** Compacted topics keep the latest record per key instead of aging out (retention-policy.ts). */
  compacted: boolean;
  partitions: PartitionLog[];
  roundRobin: number;
}

interface PendingAppend {
  topic: OpenTopic;
  records: readonly OutgoingRecord[];
  /** Settle once the records are written (in the page cache), not waiting for their fsync. */
  whenWritten: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Group commit: publishes that arrive while a round's write is in flight wait for the next round,
 * which writes all of them with one writev per partition touched, then fdatasyncs it. Rounds write
 * one at a time, so offsets follow publish order; a round's fsync runs while the next round writes
 * (a partition's syncs run in order, each covering all that was written before it). A caller waits
 * for its own fsync — or, asking `whenWritten`, only for its write: the records then survive the
 * process being killed at once, and a power loss once the round's fsync is done (about a ms later).
 * Records become visible to consumers only after their fsync either way.
 */
export class GroupCommitWriter {
  /**
   * A round of written-only appends is fsync'd within this many ms (one fdatasync costs ~70 µs of
   * kernel CPU here: per round, it was the largest cost of a published event); a round with any
   * append waiting for its fsync is synced at once. 0 = every round at once.
   */
  private readonly syncIntervalMs: number;
  constructor(syncIntervalMs = 0) {
    this.syncIntervalMs = syncIntervalMs;
  }
  /** Partitions written by written-only rounds since their last sync, and the timer that syncs them. */
  private deferred = new Set<PartitionLog>();
  private deferredTimer: ReturnType<typeof setTimeout> | null = null;

  private queue: PendingAppend[] = [];
  private jobs: (() => Promise<void>)[] = [];
  private draining: Promise<void> | null = null;
  rounds = 0;
  records = 0;

  append(topic: OpenTopic, records: readonly OutgoingRecord[], whenWritten = false): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ topic, records, whenWritten, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Rounds whose fsync is still running. */
  private syncing = new Set<Promise<void>>();

  /**
   * Runs `work` between two rounds, with no append in flight (compaction reads a partition and
   * appends to it; an append slipping in between could be superseded by an older copy).
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.jobs.push(() => work().then(resolve, reject));
      this.draining ??= this.drain();
    });
  }

  /** Resolves once every append queued so far has been settled, fsyncs included. */
  async idle(): Promise<void> {
    while (this.draining || this.syncing.size > 0 || this.deferred.size > 0) {
      await this.draining;
      this.syncDeferred();
      await Promise.all(this.syncing);
    }
  }

  /** Syncs the partitions written-only rounds left unsynced (timer, idle, or before a job). */
  private syncDeferred(): void {
    if (this.deferredTimer) clearTimeout(this.deferredTimer);
    this.deferredTimer = null;
    if (this.deferred.size === 0) return;
    const logs = [...this.deferred];
    this.deferred.clear();
    // A failed sync marks its partition failed (later appends reject); no caller waits on this one.
    this.track(Promise.all(logs.map((log) => log.sync().catch(() => undefined))).then(() => undefined));
  }

  private track(sync: Promise<void>): void {
    this.syncing.add(sync);
    void sync.finally(() => this.syncing.delete(sync));
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.jobs.length > 0) {
        const job = this.jobs.shift();
        // A job (compaction, retention) runs with no append in flight, fsyncs included.
        if (job) {
          this.syncDeferred();
          await Promise.all(this.syncing).then(job);
        } else await this.writeRound(this.queue.splice(0));
      }
    } finally {
      this.draining = null;
    }
  }

  /*
   * Per round, not per record: the partitions touched and their records in parallel arrays (a
   * round touches a few partitions, so a linear search beats a Map), and one flat array with
   * the index of each record's partition, read only when a partition failed.
   */
  private async writeRound(round: PendingAppend[]): Promise<void> {
    const timestamp = Date.now();
    const logs: PartitionLog[] = [];
    const batches: OutgoingRecord[][] = [];
    const logOfRecord: number[] = [];
    for (const append of round) {
      const { topic } = append;
      const { partitions } = topic;
      for (const record of append.records) {
        const log =
          partitions.length === 1
            ? partitions[0]!
            : partitions[
                record.key === null
                  ? topic.roundRobin++ % partitions.length
                  : partitionForKey(record.key, partitions.length)
              ]!;
        let index = logs.indexOf(log);
        if (index < 0) {
          index = logs.length;
          logs.push(log);
          batches.push([record]);
        } else batches[index]!.push(record);
        logOfRecord.push(index);
      }
    }
    const written = await Promise.all(
      logs.map((log, index) => log.write(batches[index]!, timestamp).then(succeeded, failed)),
    );
    this.rounds += 1;
    this.settle(round, written, logOfRecord, true);
    if (this.syncIntervalMs > 0 && round.every((append) => append.whenWritten)) {
      for (let i = 0; i < logs.length; i += 1) if (!written[i]) this.deferred.add(logs[i]!);
      this.deferredTimer ??= setTimeout(() => this.syncDeferred(), this.syncIntervalMs);
      return;
    }
    // The fsync runs while the next round writes; it settles the appends that wait for it. It also
    // covers what earlier written-only rounds left in these partitions: the timer need not sync them again.
    for (const log of logs) this.deferred.delete(log);
    const sync = Promise.all(
      logs.map((log, i) => (written[i] ? Promise.resolve(null) : log.sync().then(succeeded, failed))),
    ).then((synced) =>
      this.settle(
        round,
        synced.map((s, i) => written[i] ?? s),
        logOfRecord,
        false,
      ),
    );
    this.track(sync);
  }

  /** Settles the round's appends of one kind (written-only, or fsync'd) with their partition's outcome. */
  private settle(
    round: PendingAppend[],
    failures: readonly (Error | null)[],
    logOfRecord: readonly number[],
    whenWritten: boolean,
  ): void {
    const anyFailed = failures.some((f) => f !== null);
    let record = 0;
    for (const append of round) {
      const count = append.records.length;
      const start = record;
      record += count;
      let failure: Error | null = null;
      if (anyFailed) {
        for (let i = start; i < start + count && failure === null; i += 1) failure = failures[logOfRecord[i]!]!;
      }
      // A written-only append settles after the write; the others after the fsync (or the write's failure).
      if (append.whenWritten !== whenWritten) continue;
      if (failure) append.reject(failure);
      else {
        this.records += count;
        append.resolve();
      }
    }
  }
}

const succeeded = (): null => null;
const failed = (error: unknown): Error => error as Error;
