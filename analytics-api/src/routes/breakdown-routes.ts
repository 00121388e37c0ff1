import type { KeyStore } from "@switchyard/platform";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Dimension } from "../breakdown/dimensions.ts";
import { isSortable, type Metric } from "../breakdown/metrics.ts";
import { planQuery } from "../breakdown/query-plan.ts";
import { AnalyticsError } from "../errors.ts";
import { authenticate, tenantScope } from "../http/authenticate.ts";
import { BreakdownParams, metricsOrDefault, SeriesParams } from "../http/breakdown-params.ts";
import { dimensionFiltersOf, splitMetadataFilters } from "../http/filter-params.ts";
import { parseParams } from "../http/query-params.ts";
import { STEP_MS } from "../http/time-window.ts";
import type { BreakdownQuery, BreakdownRepository, GroupBy } from "../repositories/breakdown-repository.ts";

export interface BreakdownRoutesDeps {
  keys: KeyStore;
  breakdowns: BreakdownRepository;
  now: () => Date;
}

/** Most points one series answer may hold (buckets × series). */
const MAX_SERIES_POINTS = 100_000;

function groupByOf(value: string | undefined): GroupBy | null {
  if (value === undefined) return null;
  return value.startsWith("metadata.")
    ? { metadataKey: value.slice("metadata.".length) }
    : { dimension: value as Dimension };
}

/** Parses, authorises and plans one breakdown or series request. */
function readQuery(request: FastifyRequest, deps: BreakdownRoutesDeps, series: boolean) {
  const principal = authenticate(request, deps.keys);
  const { rest, metadata } = splitMetadataFilters(request.query);
  const params = series ? parseParams(SeriesParams, rest) : parseParams(BreakdownParams, rest);
  if (!isSortable(params.sort)) {
    throw new AnalyticsError(
      "invalid_parameter",
      `'${params.sort}' is joined from feedback and cannot be sorted by`,
      "sort",
    );
  }
  const metrics: readonly Metric[] = metricsOrDefault(params.metrics);
  if (series && metrics.some((m) => !isSortable(m))) {
    throw new AnalyticsError(
      "invalid_parameter",
      "feedback metrics are available in breakdowns, not series",
      "metrics",
    );
  }
  const groupBy = groupByOf(params.group_by);
  const dimensions = dimensionFiltersOf(params);
  const filterDims = dimensions.map(([d]) => d);
  const tenantIds = tenantScope(principal, params.tenant_id);
  const plan = planQuery({
    dimensions: [...filterDims, ...(groupBy && "dimension" in groupBy ? [groupBy.dimension] : [])],
    usesMetadata: metadata.length > 0 || (groupBy !== null && "metadataKey" in groupBy),
    from: params.from,
    to: params.to,
    step: params.interval,
    series,
    now: deps.now(),
  });
  const query: BreakdownQuery = {
    filter: { window: plan.window, tenantIds, dimensions, metadata, status: params.status },
    plan,
    groupBy,
    metrics,
    sort: params.sort,
    order: params.order,
    limit: params.limit,
  };
  const echo = {
    from: plan.window.from.toISOString(),
    to: plan.window.to.toISOString(),
    group_by: params.group_by ?? null,
    interval: params.interval,
    sort: params.sort,
    order: params.order,
    limit: params.limit,
    metrics,
    source: plan.source,
  };
  return { query, echo };
}

export function registerBreakdownRoutes(app: FastifyInstance, deps: BreakdownRoutesDeps): void {
  app.get("/v1/analytics/breakdown", async (request) => {
    const { query, echo } = readQuery(request, deps, false);
    const { rows, other } = await deps.breakdowns.breakdown(query);
    const data = other === null ? rows : [...rows, { key: null, is_other: true, ...other }];
    return { object: "analytics.breakdown", ...echo, data };
  });

  app.get("/v1/analytics/series", async (request) => {
    const { query, echo } = readQuery(request, deps, true);
    const buckets = (query.plan.window.to.getTime() - query.plan.window.from.getTime()) / STEP_MS[echo.interval];
    if (buckets * (query.groupBy === null ? 1 : query.limit + 1) > MAX_SERIES_POINTS) {
      throw new AnalyticsError(
        "invalid_parameter",
        `a series answer holds at most ${MAX_SERIES_POINTS} points (buckets × (limit + 1)): lower the limit or widen the interval`,
        "limit",
      );
    }
    return { object: "analytics.series", ...echo, data: await deps.breakdowns.series(query) };
  });
}
