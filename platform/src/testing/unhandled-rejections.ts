/**
 * Records the process's unhandled rejections until `stop()`, for a test that asserts there were none (in
 * production one ends the process). Node reports a rejection that has no handler once the microtasks queued
 * after it have run, so check after at least one macrotask turn.
 */
export function recordUnhandledRejections(): { reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const onUnhandled = (reason: unknown) => reasons.push(reason);
  process.on("unhandledRejection", onUnhandled);
  return { reasons, stop: () => void process.off("unhandledRejection", onUnhandled) };
}
