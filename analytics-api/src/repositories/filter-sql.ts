import { toClickHouseDateTime } from "@switchyard/platform";
import { DIMENSION_SQL, type Dimension } from "../breakdown/dimensions.ts";
import type { MetadataFilter } from "../http/filter-params.ts";
import type { TimeWindow } from "../http/time-window.ts";

/** What every filtered read (breakdowns, series, log search, export) narrows the rows by. */
export interface RequestFilter {
  window: TimeWindow;
  /** null = every tenant (admin). */
  tenantIds: string[] | null;
  dimensions: readonly [Dimension, string[]][];
  metadata: readonly MetadataFilter[];
  status?: "success" | "error" | undefined;
}

/**
 * How the window is written. A rollup can only be filtered on its own time key, so an hour- or day-aligned
 * window is written on `toStartOfHour` / `toStartOfDay`; `exact` (minute steps, log search) bounds
 * occurred_at itself and adds the hour bounds so the primary key (tenant, hour, ...) still prunes.
 */
export type TimeBounds = "hour" | "day" | "exact";

const TIME_SQL: Record<TimeBounds, string> = {
  hour: `toStartOfHour(occurred_at) >= {from:DateTime64(3, 'UTC')} AND toStartOfHour(occurred_at) < {to:DateTime64(3, 'UTC')}`,
  day: `toStartOfDay(occurred_at) >= {from:DateTime64(3, 'UTC')} AND toStartOfDay(occurred_at) < {to:DateTime64(3, 'UTC')}`,
  exact: `toStartOfHour(occurred_at) >= toStartOfHour({from:DateTime64(3, 'UTC')})
      AND toStartOfHour(occurred_at) <= toStartOfHour({to:DateTime64(3, 'UTC')})
      AND occurred_at >= {from:DateTime64(3, 'UTC')} AND occurred_at < {to:DateTime64(3, 'UTC')}`,
};

/**
 * The WHERE conditions and their parameters. Identifiers come from DIMENSION_SQL (a fixed table) and
 * parameter names from dimension names and indexes; every value a caller sent is a parameter.
 */
export function filterSql(
  filter: RequestFilter,
  bounds: TimeBounds,
): { where: string; params: Record<string, unknown> } {
  const conditions = [TIME_SQL[bounds]];
  const params: Record<string, unknown> = {
    from: toClickHouseDateTime(filter.window.from),
    to: toClickHouseDateTime(filter.window.to),
  };
  if (filter.tenantIds?.length === 1) {
    // Equality, not IN: with the tenant fixed, a newest-first read follows the sort key backwards and stops.
    conditions.push("tenant_id = {tenant_id:String}");
    params.tenant_id = filter.tenantIds[0];
  } else if (filter.tenantIds !== null) {
    conditions.push("tenant_id IN {tenant_ids:Array(String)}");
    params.tenant_ids = filter.tenantIds;
  }
  for (const [dimension, values] of filter.dimensions) {
    conditions.push(`${DIMENSION_SQL[dimension]} IN {f_${dimension}:Array(String)}`);
    params[`f_${dimension}`] = values;
  }
  filter.metadata.forEach(({ key, values }, i) => {
    conditions.push(`metadata[{mk_${i}:String}] IN {mv_${i}:Array(String)}`);
    params[`mk_${i}`] = key;
    params[`mv_${i}`] = values;
  });
  if (filter.status === "success") conditions.push("status_code < 400");
  if (filter.status === "error") conditions.push("status_code >= 400");
  return { where: `WHERE ${conditions.join("\n      AND ")}`, params };
}
