import type { Logger } from "../../logger.ts";
import type { OutgoingRecord } from "../event-bus.ts";
import type { LogRecord, PartitionLog } from "./partition-log.ts";

const READ_RECORDS = 10_000;
const READ_BYTES = 16 * 1024 * 1024;

/** Every visible record of a partition (compacted topics are small: the control topic). */
async function readAll(log: PartitionLog): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  const end = log.endOffset;
  for (let from = log.startOffset; from < end; ) {
    const batch = await log.read(from, READ_RECORDS, READ_BYTES);
    const last = batch.at(-1);
    if (!last) break;
    records.push(...batch);
    from = last.offset + 1;
  }
  return records;
}

/** Offset of the latest record per key; records without a key are never superseded. */
function latestByKey(records: readonly LogRecord[]): Map<string, number> {
  const latest = new Map<string, number>();
  for (const r of records) if (r.key !== null) latest.set(r.key, r.offset);
  return latest;
}

const superseded = (r: LogRecord, latest: Map<string, number>) => r.key !== null && latest.get(r.key)! > r.offset;

/**
 * End of the longest run of sealed head segments whose every record is superseded by a later one
 * with the same key (the log start when not even the first is). Those segments can be deleted
 * without changing the fold.
 */
function supersededHead(log: PartitionLog, records: readonly LogRecord[], latest: Map<string, number>): number {
  let end = log.startOffset;
  let i = 0;
  for (const segment of log.sealedSegments()) {
    for (; i < records.length && records[i]!.offset < segment.endOffset; i += 1) {
      if (!superseded(records[i]!, latest)) return end;
    }
    end = segment.endOffset;
  }
  return end;
}

/**
 * Compaction of a compacted partition, keeping offsets contiguous (the log's index and every
 * consumer rely on offset = segment base + index). A head of segments holding only superseded
 * records is simply deleted (by the caller, once every live group has read it). When the records
 * after that head number at least `minRecords` and at least half of them are superseded, the
 * latest record of every key is copied, in offset order, to the start of a fresh segment: then
 * everything before that segment is superseded head, deleted the same way. Folding is "last
 * record per key wins", so folding only the copies gives the state folding the whole log gave
 * (Kafka's cleaner gives the same guarantee); a follower already past the originals folds the
 * copies again and keeps the same state. Must run with no append in flight
 * (GroupCommitWriter.exclusive), else an append could land before an older copy of its key.
 * Crash safety: the copies are fsync'd before anything is deleted; a crash in between leaves
 * duplicates, which the next pass treats as superseded head.
 *
 * Returns the offset below which the partition may be deleted (its log start when nothing may) and whether it copied.
 */
export async function compactPartition(
  log: PartitionLog,
  minRecords: number,
  logger: Logger,
): Promise<{ deletableBelow: number; copied: boolean }> {
  const plan = await planCompaction(log, minRecords);
  if (plan.copies === null) return { deletableBelow: plan.headEnd, copied: false };
  const copiedAt = log.endOffset;
  await log.write(plan.copies, Date.now(), true);
  await log.sync();
  logger.info({ records: plan.examined, kept: plan.copies.length }, "embedded log: compacted a partition");
  return { deletableBelow: copiedAt, copied: true };
}

export interface CompactionPlan {
  /** Offset below which every record is superseded (the log start when none is). */
  headEnd: number;
  /** The latest record of each key after headEnd, when copying them is due; else null. */
  copies: OutgoingRecord[] | null;
  examined: number;
}

/**
 * What compactPartition would do, without writing: safe to run alongside appends, so the
 * retention pass only takes the writer's exclusive slot when a copy is due.
 */
export async function planCompaction(log: PartitionLog, minRecords: number): Promise<CompactionPlan> {
  const records = await readAll(log);
  const latest = latestByKey(records);
  const headEnd = supersededHead(log, records, latest);
  const rest = records.filter((r) => r.offset >= headEnd);
  const kept = rest.filter((r) => !superseded(r, latest));
  const due = rest.length >= minRecords && kept.length * 2 <= rest.length;
  const copies = due ? kept.map((r) => ({ key: r.key, value: Buffer.from(r.value), headers: r.headers })) : null;
  return { headEnd, copies, examined: rest.length };
}
