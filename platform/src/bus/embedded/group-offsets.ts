import { mkdir, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { syncDirectory, writeFileAtomic } from "../durable-file.ts";

export type OffsetsByTopic = Record<string, Record<string, number>>;

/** A group's offsets file as found on disk (any process may have written it). */
export interface StoredGroup {
  groupId: string;
  offsets: OffsetsByTopic;
  /** mtime of the file: when the group last committed. */
  writtenAt: number;
}

/**
 * Committed offsets of one consumer group: `<dataDir>/.groups/<groupId>.json`, replaced
 * atomically (tmp + fsync + rename). Commits that arrive while a write is in flight are
 * coalesced into the next write, so many partitions committing at once cost one fsync or two.
 */
export class GroupOffsets {
  private readonly path: string;
  private offsets: OffsetsByTopic = {};
  private inFlight: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;

  private constructor(path: string) {
    this.path = path;
  }

  static fileFor(dataDir: string, groupId: string): string {
    return join(dataDir, ".groups", `${encodeURIComponent(groupId)}.json`);
  }

  /** Reads a group's committed offsets without taking part in committing them. */
  static async read(dataDir: string, groupId: string): Promise<OffsetsByTopic> {
    try {
      return JSON.parse(await readFile(GroupOffsets.fileFor(dataDir, groupId), "utf8")) as OffsetsByTopic;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw error;
    }
  }

  /** Every group with an offsets file. A file removed while listing is skipped. */
  static async list(dataDir: string): Promise<StoredGroup[]> {
    const dir = join(dataDir, ".groups");
    const names = await readdir(dir).catch(() => [] as string[]);
    const groups: StoredGroup[] = [];
    for (const name of names.filter((n) => n.endsWith(".json"))) {
      const groupId = decodeURIComponent(name.slice(0, -".json".length));
      try {
        const { mtimeMs } = await stat(join(dir, name));
        groups.push({ groupId, offsets: await GroupOffsets.read(dataDir, groupId), writtenAt: mtimeMs });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    return groups;
  }

  /** Forgets an expired group (a later commit by a member that is still around recreates it). */
  static async remove(dataDir: string, groupId: string): Promise<void> {
    try {
      await unlink(GroupOffsets.fileFor(dataDir, groupId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    await syncDirectory(join(dataDir, ".groups"));
  }

  static async load(dataDir: string, groupId: string): Promise<GroupOffsets> {
    const store = new GroupOffsets(GroupOffsets.fileFor(dataDir, groupId));
    await mkdir(join(dataDir, ".groups"), { recursive: true });
    store.offsets = await GroupOffsets.read(dataDir, groupId);
    return store;
  }

  get(topic: string, partition: number): number | undefined {
    return this.offsets[topic]?.[String(partition)];
  }

  /** Records `next` as the partition's next offset to read; resolves once that is on disk. */
  commit(topic: string, partition: number, next: number): Promise<void> {
    this.offsets[topic] = { ...this.offsets[topic], [String(partition)]: next };
    if (this.queued) return this.queued;
    const queued = this.inFlight
      .catch(() => undefined)
      .then(() => {
        // Snapshot taken now, so it includes every commit made while the previous write ran.
        this.queued = null;
        this.inFlight = writeFileAtomic(this.path, JSON.stringify(this.offsets));
        return this.inFlight;
      });
    this.queued = queued;
    return queued;
  }
}
