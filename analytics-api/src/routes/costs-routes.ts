import type { KeyStore } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { authenticate, tenantScope } from "../http/authenticate.ts";
import { CostsQuery, parseParams, TimeseriesQuery } from "../http/query-params.ts";
import { resolveWindow } from "../http/time-window.ts";
import type { CostsRepository } from "../repositories/costs-repository.ts";

export interface CostsRoutesDeps {
  keys: KeyStore;
  costs: CostsRepository;
  now: () => Date;
}

export function registerCostsRoutes(app: FastifyInstance, deps: CostsRoutesDeps): void {
  app.get("/v1/analytics/costs", async (request) => {
    const principal = authenticate(request, deps.keys);
    const query = parseParams(CostsQuery, request.query);
    const tenantIds = tenantScope(principal, query.tenant_id);
    const window = resolveWindow(query.from, query.to, "hour", deps.now());
    const data = await deps.costs.costs({ window, tenantIds, groupBy: query.group_by });
    return { from: window.from.toISOString(), to: window.to.toISOString(), group_by: query.group_by, data };
  });

  app.get("/v1/analytics/timeseries", async (request) => {
    const principal = authenticate(request, deps.keys);
    const query = parseParams(TimeseriesQuery, request.query);
    const tenantIds = tenantScope(principal, query.tenant_id);
    const window = resolveWindow(query.from, query.to, query.interval, deps.now());
    const data = await deps.costs.timeseries({ window, tenantIds, groupBy: query.group_by, interval: query.interval });
    return {
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      group_by: query.group_by,
      interval: query.interval,
      data,
    };
  });
}
