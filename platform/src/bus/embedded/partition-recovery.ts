import { mkdir, readdir, stat, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../logger.ts";
import { syncDirectory } from "../durable-file.ts";
import { type Segment, scanSegment, segmentBaseOffset, segmentEnd, segmentFileName } from "./log-segment.ts";
import { readLogStart } from "./log-start.ts";

export interface RecoveredPartition {
  segments: Segment[];
  /** First offset held: the log-start marker, else the first segment's base, else 0. */
  startOffset: number;
}

/**
 * Scans a partition's segments on open. The writer (1) finishes a deletion a crash interrupted:
 * segments below the log-start marker are unlinked; (2) truncates a torn tail of the last segment
 * (records never acknowledged). A reader leaves files alone and skips those below the marker.
 * Anything else out of place (a gap, damage in a sealed segment) refuses to open: it is not a
 * crash artefact, and carrying on would silently lose acknowledged records.
 */
export async function recoverPartition(dir: string, writable: boolean, logger: Logger): Promise<RecoveredPartition> {
  return scanPartition(dir, writable, logger).catch((error: NodeJS.ErrnoException) => {
    // A reader may list a segment the writer unlinks before the scan reaches it: look again.
    if (writable || error.code !== "ENOENT") throw error;
    return scanPartition(dir, writable, logger);
  });
}

async function scanPartition(dir: string, writable: boolean, logger: Logger): Promise<RecoveredPartition> {
  if (writable) await mkdir(dir, { recursive: true });
  const names = await readdir(dir).catch(() => [] as string[]);
  const bases = names.map(segmentBaseOffset).filter((b): b is number => b !== null);
  bases.sort((a, b) => a - b);
  const marker = await readLogStart(dir);
  const leftovers = marker === null ? [] : bases.filter((b) => b < marker);
  // A crash between writing the marker's temp file and renaming it leaves the temp file behind.
  const temps = writable ? names.filter((n) => n.startsWith("log-start.json.tmp-")) : [];
  for (const name of temps) await unlink(join(dir, name)).catch(ignoreMissing);
  if (writable && leftovers.length > 0) {
    for (const base of leftovers) await unlink(join(dir, segmentFileName(base))).catch(ignoreMissing);
    await syncDirectory(dir);
    logger.warn({ dir, segments: leftovers.length }, "embedded log: finished a segment deletion a crash interrupted");
  }
  const kept = bases.filter((b) => marker === null || b >= marker);
  if (marker !== null && kept.length > 0 && kept[0] !== marker) {
    throw new Error(`${dir}: first segment ${segmentFileName(kept[0]!)} is not the log start ${marker}`);
  }
  const segments: Segment[] = [];
  for (const [i, base] of kept.entries()) {
    const previous = segments.at(-1);
    if (previous && segmentEnd(previous) !== base) {
      throw new Error(`${dir}: segment ${segmentFileName(base)} does not follow its predecessor`);
    }
    const { segment, outcome } = await scanSegment(dir, base);
    if (!outcome.complete && writable) {
      if (i !== kept.length - 1) {
        // Sealed segments were fsync'd before the next one was created: damage there is not a crash artefact.
        throw new Error(`${segment.path}: corrupt record at byte ${segment.size} (${outcome.reason})`);
      }
      const { size } = await stat(segment.path);
      await truncate(segment.path, segment.size);
      logger.warn(
        { path: segment.path, keptBytes: segment.size, droppedBytes: size - segment.size, reason: outcome.reason },
        "embedded log: truncated torn tail left by a crash mid-write",
      );
    }
    segments.push(segment);
  }
  return { segments, startOffset: segments[0]?.baseOffset ?? marker ?? 0 };
}

export function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
}
