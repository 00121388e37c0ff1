import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../durable-file.ts";

/**
 * `<partition>/log-start.json` = `{"startOffset": n}`: the first offset the partition still holds
 * once retention or compaction deleted its head. Written atomically (tmp, fsync, rename, fsync
 * dir) BEFORE any segment below n is unlinked, so after a crash mid-deletion the files left below
 * n are known leftovers (finished off on reopen), never mistaken for a gap in the log, and the
 * next offset of a partition whose every segment went is still known (offsets are never reused:
 * groups' committed offsets point at them).
 */
const LOG_START_FILE = "log-start.json";

export async function readLogStart(dir: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(join(dir, LOG_START_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const start = (JSON.parse(text) as { startOffset?: unknown }).startOffset;
  if (typeof start !== "number" || !Number.isSafeInteger(start) || start < 0) {
    throw new Error(`${join(dir, LOG_START_FILE)} is invalid`);
  }
  return start;
}

export async function writeLogStart(dir: string, startOffset: number): Promise<void> {
  await writeFileAtomic(join(dir, LOG_START_FILE), JSON.stringify({ startOffset }));
}
