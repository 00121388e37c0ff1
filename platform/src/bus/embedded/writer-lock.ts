import { open, readFile, rm } from "node:fs/promises";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One writer process per data dir: two appenders would hand out the same offsets. The lock
 * file holds the owner's pid; a lock whose process is gone (crash) is taken over. A lock held
 * by this very process is also taken over: that is an instance that was never closed (tests
 * simulate crashes that way), and instances in one process are not meant to share a dir.
 */
export class WriterLock {
  private readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  static async acquire(path: string): Promise<WriterLock> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const handle = await open(path, "wx");
        await handle.writeFile(String(process.pid));
        await handle.close();
        return new WriterLock(path);
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
    await rm(this.path, { force: true });
  }
}
