import type { SpooledRecord } from "./disk-spool.ts";

/** A queued record and the settle of the enqueue() promise waiting for it to be durable. */
export interface QueuedRecord extends SpooledRecord {
  settle?: () => void;
}

export function settleAll(entries: readonly QueuedRecord[]): void {
  for (const entry of entries) entry.settle?.();
}

/** Splits a batch into runs of consecutive records of one topic: one publish() per run, order kept. */
export function topicRuns<E extends SpooledRecord>(entries: readonly E[]): { topic: string; entries: E[] }[] {
  const runs: { topic: string; entries: E[] }[] = [];
  for (const entry of entries) {
    const last = runs.at(-1);
    if (last && last.topic === entry.topic) last.entries.push(entry);
    else runs.push({ topic: entry.topic, entries: [entry] });
  }
  return runs;
}
