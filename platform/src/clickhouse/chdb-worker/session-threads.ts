import type { Worker } from "node:worker_threads";
import type { ToWorker } from "./protocol.ts";

/**
 * Sessions open in this process, and the threads of closed ones still waiting to exit. A thread that loaded
 * chdb and exits while another thread's session is open leaves that session hanging for good (chdb 3.4: its
 * next statement never answers; ClickHouse.openSession opens such siblings). So a closed session's thread
 * is parked, and exits only with the last session to close.
 */
let openSessions = 0;
const parked = new Set<Worker>();

export interface SessionThread {
  /** The thread died on its own: the session no longer counts as open. */
  died(): void;
  /** The session is closed: ends the thread, or parks it until no session is open. False: it had died. */
  retire(): Promise<boolean>;
}

/** Counts `worker`'s session as open until its thread retires or dies. */
export function sessionOpened(worker: Worker): SessionThread {
  openSessions += 1;
  let counted = true;
  const uncount = () => {
    if (!counted) return false;
    counted = false;
    openSessions -= 1;
    return true;
  };
  return {
    died: () => void uncount(),
    async retire() {
      if (!uncount()) return false;
      if (openSessions > 0) {
        parked.add(worker);
        worker.unref();
        return true;
      }
      const leaving = [...parked, worker];
      parked.clear();
      await Promise.all(
        leaving.map((thread) => {
          const exited = new Promise<void>((resolve) => thread.once("exit", () => resolve()));
          thread.ref(); // a parked thread was unref'd: the process must wait for it
          thread.postMessage({ type: "exit" } satisfies ToWorker);
          return exited;
        }),
      );
      return true;
    },
  };
}
