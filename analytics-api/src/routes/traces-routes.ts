import type { KeyStore } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { AnalyticsError } from "../errors.ts";
import { authenticate, tenantScope } from "../http/authenticate.ts";
import { parseParams, TraceParams, TraceQuery } from "../http/query-params.ts";
import type { TracesRepository } from "../repositories/traces-repository.ts";

export interface TracesRoutesDeps {
  keys: KeyStore;
  traces: TracesRepository;
}

export function registerTracesRoutes(app: FastifyInstance, deps: TracesRoutesDeps): void {
  app.get("/v1/traces/:traceId", async (request) => {
    const principal = authenticate(request, deps.keys);
    const { traceId } = parseParams(TraceParams, request.params);
    const query = parseParams(TraceQuery, request.query);
    const requests = await deps.traces.requestsOfTrace(traceId, tenantScope(principal, query.tenant_id));
    // Another tenant's trace is indistinguishable from a missing one: existence is not leaked.
    if (requests.length === 0) throw new AnalyticsError("trace_not_found", `no requests found for trace ${traceId}`);
    return { trace_id: traceId, requests };
  });
}
