import type { LimitCheck } from "@switchyard/events";
import type { PlannedCounter } from "./limit-plan.ts";
import type { SettleItem } from "./limit-store.ts";
import type { TargetWorst } from "./worst-case.ts";

/** What each counter reserves and settles: the arithmetic of a request's admission (limiter.ts). */

export interface ActualUsage {
  tokens: number;
  costNano: number;
  /** The target that answered (its counters get the spend); null: none did. */
  targetPath: string | null;
  /** A cache hit counts toward request limits only. */
  cacheHit: boolean;
}

/** Slack kept after a window ends, so a request that ran across the boundary still settles into it. */
const WINDOW_SLACK_MS = 60_000;

/** What a counter reserves: one request, or the worst case of the most expensive target it covers. */
export function amountOf(
  counter: PlannedCounter,
  worst: ReadonlyMap<string, TargetWorst>,
): number | { model: string; provider: string } {
  if (counter.metric === "requests") return 1;
  let amount = 0;
  for (const path of counter.targets) {
    const w = worst.get(path);
    if (w === undefined) continue;
    if (counter.metric === "tokens") amount = Math.max(amount, w.tokens);
    else if (w.costNano === null) return { model: w.model, provider: w.provider };
    else amount = Math.max(amount, w.costNano);
  }
  return amount;
}

/**
 * A request counts as one toward every request limit that covers all its targets, whatever happens
 * (added to `used` at admission, never settled). A request limit of some targets only (a virtual
 * key's) is settled: one if its target answered, else nothing.
 */
export function isFinal(counter: PlannedCounter, targetCount: number): boolean {
  return counter.metric === "requests" && counter.targets.length >= targetCount;
}

export function actualOf(counter: PlannedCounter, actual: ActualUsage): number {
  const answered = actual.targetPath !== null && counter.targets.includes(actual.targetPath);
  if (counter.metric === "requests") return answered ? 1 : 0;
  if (actual.cacheHit || actual.targetPath === null || !counter.targets.includes(actual.targetPath)) return 0;
  return counter.metric === "tokens" ? actual.tokens : actual.costNano;
}

export function ttlOf(counter: PlannedCounter, now: number): number {
  return counter.windowEnd === null ? 0 : Math.max(1, counter.windowEnd - now + WINDOW_SLACK_MS);
}

export function checksOf(
  counters: readonly PlannedCounter[],
  failed: PlannedCounter | null,
  allowed = true,
): LimitCheck[] {
  return counters.map((c) => ({
    limit_id: c.limitId,
    kind: c.kind,
    metric: c.metric,
    allowed: allowed && c !== failed,
  }));
}

/**
 * What a request settles: each counter not final at admission (request counts are) with its reservation
 * and what the request really used, in the admission's counter order.
 */
export function settlementsOf(
  admission: { counters: readonly PlannedCounter[]; amounts: readonly number[]; targetCount: number },
  actual: ActualUsage,
  now: number,
): { counters: PlannedCounter[]; items: SettleItem[] } {
  const counters: PlannedCounter[] = [];
  const items: SettleItem[] = [];
  for (let i = 0; i < admission.counters.length; i++) {
    const counter = admission.counters[i]!;
    if (isFinal(counter, admission.targetCount)) continue;
    counters.push(counter);
    items.push({
      key: counter.key,
      reserved: admission.amounts[i]!,
      actual: actualOf(counter, actual),
      ttlMs: ttlOf(counter, now),
    });
  }
  return { counters, items };
}
