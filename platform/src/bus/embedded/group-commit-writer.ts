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
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Group commit: publishes that arrive while a write+fsync round is in flight wait for the next
 * round, which writes all of them with one write and one fdatasync per partition touched. A
 * caller still waits for its own fsync, but thousands of concurrent publishes cost a handful of
 * fsyncs instead of thousands. Rounds run one at a time, so offsets follow publish order.
 */
export class GroupCommitWriter {
  private queue: PendingAppend[] = [];
  private jobs: (() => Promise<void>)[] = [];
  private draining: Promise<void> | null = null;
  rounds = 0;
  records = 0;

  append(topic: OpenTopic, records: readonly OutgoingRecord[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ topic, records, resolve, reject });
      this.draining ??= this.drain();
    });
  }

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

  /** Resolves once every append queued so far has been settled. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.jobs.length > 0) {
        const job = this.jobs.shift();
        if (job) await job();
        else await this.writeRound(this.queue.splice(0));
      }
    } finally {
      this.draining = null;
    }
  }

  private async writeRound(round: PendingAppend[]): Promise<void> {
    const timestamp = Date.now();
    const byLog = new Map<PartitionLog, OutgoingRecord[]>();
    const logsOf = new Map<PendingAppend, Set<PartitionLog>>();
    for (const append of round) {
      const touched = new Set<PartitionLog>();
      const { partitions } = append.topic;
      for (const record of append.records) {
        const index =
          record.key === null
            ? append.topic.roundRobin++ % partitions.length
            : partitionForKey(record.key, partitions.length);
        const log = partitions[index]!;
        touched.add(log);
        const batch = byLog.get(log);
        if (batch) batch.push(record);
        else byLog.set(log, [record]);
      }
      logsOf.set(append, touched);
    }
    const failures = new Map<PartitionLog, Error>();
    await Promise.all(
      [...byLog].map(async ([log, records]) => {
        try {
          await log.write(records, timestamp);
          await log.sync();
        } catch (error) {
          failures.set(log, error as Error);
        }
      }),
    );
    this.rounds += 1;
    for (const append of round) {
      const failure = [...(logsOf.get(append) ?? [])].map((log) => failures.get(log)).find((e) => e !== undefined);
      if (failure) append.reject(failure);
      else {
        this.records += append.records.length;
        append.resolve();
      }
    }
  }
}
