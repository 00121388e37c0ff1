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
    const failures = await Promise.all(
      logs.map((log, index) => log.append(batches[index]!, timestamp).then(succeeded, failed)),
    );
    this.rounds += 1;
    const anyFailed = failures.some((f) => f !== null);
    let record = 0;
    for (const append of round) {
      const count = append.records.length;
      let failure: Error | null = null;
      if (anyFailed) {
        for (let i = record; i < record + count && failure === null; i += 1) failure = failures[logOfRecord[i]!]!;
      }
      record += count;
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
