import { AnalyticsError } from "../errors.ts";
import { resolveWindow, STEP_MS, type Step, type TimeWindow } from "../http/time-window.ts";
import type { TimeBounds } from "../repositories/filter-sql.ts";
import { type Dimension, type Source, sourceFor } from "./dimensions.ts";

/** How many time buckets one series may span (a minute series: about a week). */
export const MAX_BUCKETS = 10_080;

export interface QueryPlan {
  /** The structure expected to answer (ClickHouse picks it; tests check the plan with EXPLAIN). */
  source: Source;
  /** The window actually used, rounded to the step the source can answer. */
  window: TimeWindow;
  bounds: TimeBounds;
  /** Bucket expression of a series, written in the chosen rollup's own time key. */
  bucketSql: string;
}

const DAY_MS = STEP_MS.day;
/** A breakdown over at least this span is answered per whole day (the window is rounded outward to days). */
export const DAILY_FROM_SPAN_MS = 7 * DAY_MS;

/**
 * Picks the cheapest structure that can answer a query over `dimensions` (group-by and filters) at `step`,
 * and writes the window and buckets in its terms (a rollup can only be filtered and bucketed on its own time
 * key). Resolution: minutes read the rows; days when the step is a day, the window is whole days, or a
 * breakdown spans at least a week (its window is then rounded outward to whole days); hours otherwise.
 * The window actually used is echoed in the response.
 */
export function planQuery(input: {
  dimensions: readonly Dimension[];
  usesMetadata: boolean;
  from: Date | undefined;
  to: Date | undefined;
  step: Step;
  series: boolean;
  now: Date;
}): QueryPlan {
  const hourly = resolveWindow(input.from, input.to, input.step === "minute" ? "minute" : "hour", input.now);
  const span = hourly.to.getTime() - hourly.from.getTime();
  const wholeDays = hourly.from.getTime() % DAY_MS === 0 && hourly.to.getTime() % DAY_MS === 0;
  const daily =
    input.step === "day" || (input.step === "hour" && !input.series && (wholeDays || span >= DAILY_FROM_SPAN_MS));
  const window = daily ? resolveWindow(input.from, input.to, "day", input.now) : hourly;
  if (input.series && (window.to.getTime() - window.from.getTime()) / STEP_MS[input.step] > MAX_BUCKETS) {
    throw new AnalyticsError(
      "invalid_parameter",
      `a series has at most ${MAX_BUCKETS} buckets: use a longer interval or a shorter window`,
      "interval",
    );
  }
  if (input.step === "minute") {
    return { source: "rows", window, bounds: "exact", bucketSql: "toStartOfMinute(occurred_at)" };
  }
  const source = sourceFor(input.dimensions, input.usesMetadata, daily ? "day" : "hour");
  return daily
    ? { source, window, bounds: "day", bucketSql: "toStartOfDay(occurred_at)" }
    : { source, window, bounds: "hour", bucketSql: "toStartOfHour(occurred_at)" };
}
