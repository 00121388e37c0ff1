import type { KeyStore } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { authenticate, tenantScope } from "../http/authenticate.ts";
import { instant, parseParams, tenantIds } from "../http/query-params.ts";
import { resolveWindow } from "../http/time-window.ts";
import type { LimitAlertsRepository } from "../repositories/limit-alerts-repository.ts";

export const LimitAlertsQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  tenant_id: tenantIds.default([]),
});

export interface LimitAlertsRoutesDeps {
  keys: KeyStore;
  alerts: LimitAlertsRepository;
  now: () => Date;
}

/**
 * GET /v1/analytics/limit-alerts: the budget alerts (a limit's spend crossed its alert_threshold,
 * once per limit and period) the gateway published, newest first; default window the last 24 hours.
 * A tenant key sees its own tenant's only.
 */
export function registerLimitAlertsRoutes(app: FastifyInstance, deps: LimitAlertsRoutesDeps): void {
  app.get("/v1/analytics/limit-alerts", async (request) => {
    const principal = authenticate(request, deps.keys);
    const query = parseParams(LimitAlertsQuery, request.query);
    const window = resolveWindow(query.from, query.to, "minute", deps.now());
    const alerts = await deps.alerts.alerts(window, tenantScope(principal, query.tenant_id));
    return { from: window.from.toISOString(), to: window.to.toISOString(), alerts };
  });
}
