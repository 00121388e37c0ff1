import type { KeyStore } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { GatewayError } from "../errors.ts";
import type { Limits } from "../limits/limits-service.ts";
import { authenticate } from "../pipeline/authenticate.ts";

/**
 * GET /v1/analytics/limits: the caller's tenant's limits with spend, remaining and reset time,
 * read from the live counters (the gateway holds them, so it serves this, not the analytics API).
 * Tenant-scoped: an admin key may name another tenant with ?tenant_id=, a tenant key never can.
 */
export function registerLimitsUsage(app: FastifyInstance, deps: { keys: KeyStore; limits: Limits }): void {
  app.get<{ Querystring: { tenant_id?: string } }>("/v1/analytics/limits", async (request) => {
    const { principal } = authenticate(request.headers, deps.keys);
    const asked = request.query.tenant_id;
    if (asked !== undefined && asked !== principal.tenantId && principal.role !== "admin") {
      throw new GatewayError(
        "invalid_request",
        "tenant_id: a tenant key reads only its own tenant's limits",
        "tenant_id",
      );
    }
    if (asked !== undefined && (typeof asked !== "string" || asked.length > 128)) {
      throw new GatewayError("invalid_request", "tenant_id: must be a tenant id", "tenant_id");
    }
    const tenantId = asked ?? principal.tenantId;
    return { object: "list", tenant_id: tenantId, data: await deps.limits.usage(tenantId) };
  });
}
