import { createRequire } from "node:module";

/**
 * kafkajs 2.2.4 schedules its request-queue check with `setTimeout(fn, throttledUntil - now)`,
 * which is a large negative number when the queue is not throttled (throttledUntil = -1).
 * Node >= 24 reports every such call as a `TimeoutNegativeWarning` on stderr
 * (https://github.com/tulios/kafkajs/issues/1751, unreleased fix in PR #1755/#1756).
 * Node already treats the delay as 1 ms, so clamping it to 1 keeps kafkajs' behaviour exactly
 * and only removes the warning. Applied on first client construction, not at import time.
 */
interface RequestQueueLike {
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' own constant for re-checking a throttled queue. */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;
let applied = false;

export function applyKafkajsTimerFix(): void {
  if (applied) return;
  applied = true;
  const require = createRequire(import.meta.url);
  const RequestQueue = require("kafkajs/src/network/requestQueue/index.js") as { prototype: RequestQueueLike };
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueLike) {
    let scheduleAt = this.throttledUntil - Date.now();
    if (!this.throttleCheckTimeoutId) {
      if (this.pending.length > 0) {
        scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL;
      }
      this.throttleCheckTimeoutId = setTimeout(
        () => {
          this.throttleCheckTimeoutId = null;
          this.checkPendingRequests();
        },
        Math.max(1, scheduleAt),
      );
    }
  };
}
