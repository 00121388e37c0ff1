import type { SealedSegment } from "./segment-deletion.ts";

/**
 * When the embedded log deletes data (README "Retention"). Never before every consumer group
 * that is still alive has committed past it; then:
 * - ordinary topics: whole sealed segments, oldest first, once older than maxAgeMs or while the
 *   partition is larger than maxBytes;
 * - compacted topics (the control topic): never by age or size; a head segment goes only when
 *   every record in it is superseded by a later record with the same key (compaction.ts).
 */
export interface RetentionPolicy {
  /** Age of a sealed segment's newest record past which it is deleted. null: no time limit. */
  maxAgeMs: number | null;
  /** Per partition: oldest sealed segments are deleted while the partition is larger. null: no size limit. */
  maxBytes: number | null;
  /**
   * A group with no live subscription in this process whose offsets file was not written for
   * this long stops holding data back, and its offsets file is removed (Kafka's
   * offsets.retention.minutes). Keeps abandoned groups (finished replays, old control-plane
   * followers) from pinning the log forever.
   */
  groupExpiryMs: number;
  /** How often the writer applies the policy. */
  checkIntervalMs: number;
  /** A compacted partition is compacted once it holds this many records, half of them superseded. */
  compactMinRecords: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULT_RETENTION: RetentionPolicy = {
  maxAgeMs: 7 * DAY_MS,
  maxBytes: null,
  groupExpiryMs: 7 * DAY_MS,
  checkIntervalMs: 60_000,
  compactMinRecords: 1000,
};

/**
 * How many head segments of an ordinary partition may be deleted. `committedFloor` is the lowest
 * next-offset committed by a live group for this partition (null when no live group consumes
 * the topic: then age and size alone decide, like Kafka).
 */
export function deletableHeadCount(
  sealed: readonly SealedSegment[],
  partitionBytes: number,
  committedFloor: number | null,
  policy: Pick<RetentionPolicy, "maxAgeMs" | "maxBytes">,
  now: number,
): number {
  let bytes = partitionBytes;
  let count = 0;
  for (const segment of sealed) {
    if (committedFloor !== null && committedFloor < segment.endOffset) break;
    const expired = policy.maxAgeMs !== null && now - segment.maxTimestamp > policy.maxAgeMs;
    const oversize = policy.maxBytes !== null && bytes > policy.maxBytes;
    if (!expired && !oversize) break;
    bytes -= segment.bytes;
    count += 1;
  }
  return count;
}
