import { readdir } from "node:fs/promises";
import type { Logger } from "../../logger.ts";
import { compactPartition, planCompaction } from "./compaction.ts";
import type { GroupCommitWriter, OpenTopic } from "./group-commit-writer.ts";
import { GroupOffsets, type OffsetsByTopic } from "./group-offsets.ts";
import type { PartitionLog } from "./partition-log.ts";
import { deletableHeadCount, type RetentionPolicy } from "./retention-policy.ts";
import { readTopicMeta } from "./topic-catalog.ts";

export interface RetentionReport {
  deletedSegments: number;
  freedBytes: number;
  /** Partitions of compacted topics whose latest records were copied forward this pass. */
  compactions: number;
  /** Groups whose offsets expired (and whose offsets file was removed). */
  expiredGroups: string[];
}

export interface RetentionContext {
  dataDir: string;
  policy: RetentionPolicy;
  now: number;
  /** `${groupId}\0${topic}` of every live subscription in this process: they never expire. */
  liveMembers: ReadonlySet<string>;
  openTopic: (name: string) => Promise<OpenTopic>;
  writer: GroupCommitWriter;
  logger: Logger;
}

/** Topics stored under the data dir (dot-names are the log's own files). */
async function storedTopics(dataDir: string): Promise<string[]> {
  const names = (await readdir(dataDir).catch(() => [] as string[])).filter((n) => !n.startsWith("."));
  const topics: string[] = [];
  for (const name of names) {
    if (await readTopicMeta(dataDir, name).catch(() => null)) topics.push(name);
  }
  return topics;
}

/**
 * Offsets of the groups that still hold data back, per topic. Expired groups' files are removed.
 * A live subscription of this process that has not committed yet pins its topic from offset 0:
 * where it reads is not known here, and deleting under it would skip records it never saw.
 */
async function holdingGroups(ctx: RetentionContext, expired: string[]): Promise<OffsetsByTopic[]> {
  const liveGroups = new Set([...ctx.liveMembers].map((m) => m.split("\0")[0]!));
  const holding: OffsetsByTopic[] = [];
  const stored = new Map<string, OffsetsByTopic>();
  for (const group of await GroupOffsets.list(ctx.dataDir)) {
    if (liveGroups.has(group.groupId) || ctx.now - group.writtenAt < ctx.policy.groupExpiryMs) {
      holding.push(group.offsets);
      stored.set(group.groupId, group.offsets);
      continue;
    }
    await GroupOffsets.remove(ctx.dataDir, group.groupId);
    expired.push(group.groupId);
  }
  for (const member of ctx.liveMembers) {
    const [groupId, topic] = member.split("\0") as [string, string];
    if (!stored.get(groupId)?.[topic]) holding.push({ [topic]: {} });
  }
  return holding;
}

/** Lowest committed next-offset of the groups consuming `topic` (missing partition: 0); null when none does. */
function committedFloor(groups: readonly OffsetsByTopic[], topic: string, partition: number): number | null {
  let floor: number | null = null;
  for (const offsets of groups) {
    const byPartition = offsets[topic];
    if (!byPartition) continue;
    const next = byPartition[String(partition)] ?? 0;
    floor = floor === null ? next : Math.min(floor, next);
  }
  return floor;
}

/** Deletes the head segments ending at or below `limit`; returns [segments, bytes]. */
async function deleteHeadUpTo(log: PartitionLog, limit: number): Promise<[number, number]> {
  const sealed = log.sealedSegments().filter((s) => s.endOffset <= limit);
  const last = sealed.at(-1);
  if (!last) return [0, 0];
  return [sealed.length, await log.deleteBefore(last.endOffset)];
}

/** One pass of the retention policy over every topic of the log (writer only). */
export async function applyRetention(ctx: RetentionContext): Promise<RetentionReport> {
  const report: RetentionReport = { deletedSegments: 0, freedBytes: 0, compactions: 0, expiredGroups: [] };
  const groups = await holdingGroups(ctx, report.expiredGroups);
  for (const name of await storedTopics(ctx.dataDir)) {
    const topic = await ctx.openTopic(name);
    for (const [partition, log] of topic.partitions.entries()) {
      const floor = committedFloor(groups, name, partition);
      let deleted: [number, number];
      if (topic.compacted) {
        const min = ctx.policy.compactMinRecords;
        const plan = await planCompaction(log, min);
        let limit = plan.headEnd;
        if (plan.copies) {
          // Only a copy needs appends held off (re-planned inside: records may have arrived since).
          const compaction = await ctx.writer.exclusive(() => compactPartition(log, min, ctx.logger));
          limit = compaction.deletableBelow;
          if (compaction.copied) report.compactions += 1;
        }
        deleted = await deleteHeadUpTo(log, floor === null ? limit : Math.min(limit, floor));
      } else {
        const count = deletableHeadCount(log.sealedSegments(), log.sizeBytes, floor, ctx.policy, ctx.now);
        deleted = count > 0 ? await deleteHeadUpTo(log, log.sealedSegments()[count - 1]!.endOffset) : [0, 0];
      }
      report.deletedSegments += deleted[0];
      report.freedBytes += deleted[1];
    }
  }
  if (report.deletedSegments > 0 || report.expiredGroups.length > 0 || report.compactions > 0) {
    ctx.logger.info(report, "embedded log: retention applied");
  }
  return report;
}
