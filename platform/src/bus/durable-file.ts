import { open, rename } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * fsync of a directory makes a file creation, rename or deletion inside it durable; without it
 * a crash can lose the directory entry even though the file's data was synced.
 */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

let tmpCounter = 0;

/**
 * Replaces `path` with `data` atomically: write a temp file, fsync it, rename over the target,
 * fsync the directory. A crash leaves either the old or the new content, never a mix.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  tmpCounter += 1;
  const tmp = `${path}.tmp-${process.pid}-${tmpCounter}`;
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncDirectory(dirname(path));
}
