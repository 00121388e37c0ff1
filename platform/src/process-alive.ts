/**
 * Whether a process with this pid exists (signal 0 probes without signalling). EPERM means it exists
 * but belongs to another user. Used to tell a live owner's files (a writer lock, ingest's insert
 * bodies) from those a crashed process left behind.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
