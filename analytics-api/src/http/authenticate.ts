import { bearerToken, type KeyStore, type Principal, scopeAllows } from "@switchyard/platform";
import type { FastifyRequest } from "fastify";
import { AnalyticsError } from "../errors.ts";

const AUTH_MESSAGES = {
  missing_api_key: "an API key is required: send x-portkey-api-key or Authorization: Bearer",
  invalid_api_key: "the API key is not valid",
  revoked_api_key: "the API key has been revoked",
} as const;

function presentedKey(request: FastifyRequest): string | undefined {
  const portkey = request.headers["x-portkey-api-key"];
  if (typeof portkey === "string" && portkey !== "") return portkey;
  return bearerToken(request.headers.authorization);
}

/**
 * The caller behind a request (open local-dev mode: the default tenant's admin). Every analytics read
 * needs the analytics.read scope (a key without a scope list has them all).
 */
export function authenticate(request: FastifyRequest, keys: KeyStore): Principal {
  const outcome = keys.authenticate(presentedKey(request));
  if (!outcome.ok) throw new AnalyticsError(outcome.reason, AUTH_MESSAGES[outcome.reason]);
  if (!scopeAllows(outcome.principal.scopes, "analytics.read")) {
    throw new AnalyticsError("insufficient_scope", "this API key lacks the analytics.read scope", "x-portkey-api-key");
  }
  return outcome.principal;
}

/**
 * Which tenants a query may see: `null` means every tenant (admin without a filter). A tenant key is pinned
 * to its own tenant; listing any other one is refused rather than silently narrowed.
 */
export function tenantScope(principal: Principal, requested: readonly string[]): string[] | null {
  if (principal.role === "admin") return requested.length === 0 ? null : [...new Set(requested)];
  if (requested.some((tenant) => tenant !== principal.tenantId)) {
    throw new AnalyticsError("tenant_forbidden", "this API key may only read its own tenant", "tenant_id");
  }
  return [principal.tenantId];
}
