import { unlink } from "node:fs/promises";
import { syncDirectory } from "../durable-file.ts";
import type { Segment } from "./log-segment.ts";
import { writeLogStart } from "./log-start.ts";
import { ignoreMissing } from "./partition-recovery.ts";

/** What retention needs to know about a sealed segment. */
export interface SealedSegment {
  baseOffset: number;
  /** Offset after its last record. */
  endOffset: number;
  bytes: number;
  /** Newest append time of its records (ms since epoch). */
  maxTimestamp: number;
}

/**
 * Deletes `segments[0 .. count)` (a head of the partition, in memory and on disk).
 *
 * Crash safety — the order is what matters:
 * 1. the new start offset (the base of segments[count]) is written durably to log-start.json;
 * 2. the segments leave the in-memory index (later reads start at the new start);
 * 3. their files are unlinked oldest first, then the directory is fsync'd.
 * A crash before 1 completes leaves every file and the old marker: nothing happened. A crash
 * after it leaves some of the files below the marker, which open() recognises as leftovers and
 * unlinks (partition-recovery.ts), whatever order the file system persisted the unlinks in. The
 * files at and above the marker are never touched, so the log stays readable and contiguous.
 * A reader holding one of the files open keeps reading it (POSIX unlink semantics); one that
 * opens it after the unlink gets ENOENT and re-reads from the new start (PartitionLog.read).
 */
export async function deleteSegmentsBefore(dir: string, segments: Segment[], count: number): Promise<number> {
  const next = segments[count];
  if (!next || count <= 0) throw new Error(`${dir}: refusing to delete ${count} of ${segments.length} segments`);
  await writeLogStart(dir, next.baseOffset);
  const gone = segments.splice(0, count);
  for (const segment of gone) await unlink(segment.path).catch(ignoreMissing);
  await syncDirectory(dir);
  return gone.reduce((sum, s) => sum + s.size, 0);
}
