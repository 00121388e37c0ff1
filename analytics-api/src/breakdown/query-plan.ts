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

/**
 * Picks the cheapest structure that can answer a query over `dimensions` (group-by and filters) at `step`,
 * and writes the window and buckets in its terms:
 * - rollup_hourly: low-cardinality dimensions, hour or day steps;
 * - rollup_daily_keys: user / key / config / prompt dimensions, when the step is a day (or a breakdown's
 *   window is whole days);
 * - the rows: metadata, minute steps, or a mix no rollup holds.
 * The window is rounded outward to whole steps (hours by default) and echoed in the response.
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
  const window = resolveWindow(input.from, input.to, input.step, input.now);
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
  const sources = sourceFor(input.dimensions, input.usesMetadata);
  const wholeDays = window.from.getTime() % DAY_MS === 0 && window.to.getTime() % DAY_MS === 0;
  if (sources.includes("rollup_hourly")) {
    return {
      source: "rollup_hourly",
      window,
      bounds: "hour",
      // Derived from the hour key: the projection holds toStartOfHour, not toStartOfDay.
      bucketSql: input.step === "day" ? "toStartOfDay(toStartOfHour(occurred_at))" : "toStartOfHour(occurred_at)",
    };
  }
  const daily = sources.includes("rollup_daily_keys") && (input.step === "day" || (!input.series && wholeDays));
  if (daily) return { source: "rollup_daily_keys", window, bounds: "day", bucketSql: "toStartOfDay(occurred_at)" };
  return {
    source: "rows",
    window,
    bounds: "hour",
    bucketSql: input.step === "day" ? "toStartOfDay(occurred_at)" : "toStartOfHour(occurred_at)",
  };
}
