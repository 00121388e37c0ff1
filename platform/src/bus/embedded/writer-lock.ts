import { open, readFile, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { processAlive } from "../../process-alive.ts";

/**
 * Lock files held by live instances of this process. The pid in the file cannot tell two
 * instances of one process apart (gateway and ingest in one process must share one bus).
 */
const heldInThisProcess = new Set<string>();

/**
 * One writer process per data dir: two appenders would hand out the same offsets. The lock
 * file holds the owner's pid; a lock whose process is gone (crash) is taken over. A file naming
 * this very pid but not held by a live instance is stale too (a container restarted after a
 * crash often gets the same pid).
 */
export class WriterLock {
  private readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  static async acquire(lockPath: string): Promise<WriterLock> {
    const path = resolve(lockPath);
    if (heldInThisProcess.has(path)) {
      throw new Error(`${path}: the embedded log is already open for writing in this process; share that instance`);
    }
    // Reserved before the first await, so two concurrent opens in this process cannot both win.
    heldInThisProcess.add(path);
    try {
      await WriterLock.takeFile(path);
      return new WriterLock(path);
    } catch (error) {
      heldInThisProcess.delete(path);
      throw error;
    }
  }

  private static async takeFile(path: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const handle = await open(path, "wx");
        await handle.writeFile(String(process.pid));
        await handle.close();
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const owner = Number((await readFile(path, "utf8").catch(() => "")).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new Error(`${path}: the embedded log is being written by process ${owner}; open it read-only instead`);
      }
      await rm(path, { force: true });
    }
    throw new Error(`${path}: could not acquire the writer lock`);
  }

  async release(): Promise<void> {
    heldInThisProcess.delete(this.path);
    await rm(this.path, { force: true });
  }
}
