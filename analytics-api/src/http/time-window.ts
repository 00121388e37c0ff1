import { AnalyticsError } from "../errors.ts";
import type { Interval } from "./query-params.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const DEFAULT_SPAN_MS = DAY_MS;
/** Bounds the number of buckets one query can ask for. */
const MAX_SPAN_MS = 400 * DAY_MS;

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** A time step: the cost endpoints' intervals plus the breakdown series' `minute`. */
export type Step = Interval | "minute";
export const STEP_MS: Record<Step, number> = { minute: 60_000, hour: HOUR_MS, day: DAY_MS };

/**
 * The window a rollup query covers. Data is aggregated per UTC hour, so `from` is rounded down and `to`
 * rounded up to whole `interval`s; the response echoes the window actually used. Default: the last 24 hours.
 */
export function resolveWindow(from: Date | undefined, to: Date | undefined, interval: Step, now: Date): TimeWindow {
  const end = to ?? now;
  const start = from ?? new Date(end.getTime() - DEFAULT_SPAN_MS);
  if (end.getTime() <= start.getTime()) {
    throw new AnalyticsError("invalid_parameter", "'to' must be later than 'from'", "to");
  }
  if (end.getTime() - start.getTime() > MAX_SPAN_MS) {
    throw new AnalyticsError("invalid_parameter", "the window from 'from' to 'to' may span at most 400 days", "from");
  }
  const step = STEP_MS[interval];
  return {
    from: new Date(Math.floor(start.getTime() / step) * step),
    to: new Date(Math.ceil(end.getTime() / step) * step),
  };
}
