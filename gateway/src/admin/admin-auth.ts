import { createHash, timingSafeEqual } from "node:crypto";
import { type ApiKeyScope, bearerToken, type KeyStore, type Principal } from "@switchyard/platform";
import type { FastifyRequest } from "fastify";
import { GatewayError } from "../errors.ts";
import { headerValue } from "../http/portkey-headers.ts";
import { requireScope } from "../pipeline/authenticate.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The scope an API key needs for this admin route, within its own tenant only; `any_key`: any
     * valid key (whoami). Absent: the admin token only (tenants, API keys: the operator's).
     */
    adminScope?: ApiKeyScope | "any_key";
  }
}

/** Who called an admin route: the operator (admin token) or a tenant's API key. */
export type AdminCaller = { kind: "operator" } | { kind: "api_key"; principal: Principal };

const callers = new WeakMap<FastifyRequest, AdminCaller>();

/** The caller the guard admitted (routes read it for checks that depend on the body). */
export function callerOf(request: FastifyRequest): AdminCaller {
  return callers.get(request) ?? { kind: "operator" };
}

/** Route options declaring the scope an API key needs (see FastifyContextConfig.adminScope). */
export const scoped = (scope: ApiKeyScope | "any_key") => ({ config: { adminScope: scope } });

/** A 403 naming `scope` when the caller is an API key without it (the operator may do anything). */
export function requireCallerScope(request: FastifyRequest, scope: ApiKeyScope): void {
  const caller = callerOf(request);
  if (caller.kind === "api_key") requireScope(caller.principal, scope);
}

/**
 * The admin API's guard. `Authorization: Bearer <SWITCHYARD_ADMIN_TOKEN>` may do everything (both
 * sides hashed first, so the constant-time compare also hides the token's length). A route that
 * declares an `adminScope` also admits a gateway API key (`Authorization: Bearer` or
 * `x-portkey-api-key`) that carries that scope, for the key's own tenant only: another tenant's
 * path is a 404 that says nothing of whether that tenant exists. Open local-dev mode has no keys,
 * so there only the admin token opens the admin API.
 */
export function adminGuard(token: string | undefined, keys: KeyStore): (request: FastifyRequest) => Promise<void> {
  const expected = token === undefined ? null : digest(token);
  return async (request) => {
    const bearer = bearerToken(request.headers.authorization);
    if (expected !== null && bearer !== undefined && timingSafeEqual(digest(bearer), expected)) {
      callers.set(request, { kind: "operator" });
      return;
    }
    const scope = request.routeOptions.config.adminScope;
    const presented = headerValue(request.headers, "x-portkey-api-key") ?? bearer;
    if (scope === undefined || presented === undefined || keys.openMode) {
      throw noCredential(expected !== null, scope, presented !== undefined);
    }
    const outcome = keys.authenticate(presented);
    if (!outcome.ok) {
      if (outcome.reason === "revoked_api_key") {
        throw new GatewayError("revoked_api_key", "the gateway API key has been revoked");
      }
      throw new GatewayError(
        "invalid_admin_token",
        "the credential is neither the admin token nor a valid gateway API key",
        "authorization",
      );
    }
    const { principal } = outcome;
    if (scope !== "any_key") requireScope(principal, scope);
    const tenantId = (request.params as { tenantId?: string } | undefined)?.tenantId;
    if (tenantId !== undefined && tenantId !== principal.tenantId) {
      throw new GatewayError("tenant_not_found", `tenant ${tenantId} is not this API key's tenant`, "tenant_id");
    }
    callers.set(request, { kind: "api_key", principal });
  };
}

function noCredential(tokenSet: boolean, scope: ApiKeyScope | "any_key" | undefined, presented: boolean): GatewayError {
  if (scope === undefined) {
    return tokenSet
      ? new GatewayError(
          "invalid_admin_token",
          "this admin route needs Authorization: Bearer <SWITCHYARD_ADMIN_TOKEN> (an API key cannot manage tenants or API keys)",
          "authorization",
        )
      : new GatewayError("admin_disabled", "the admin API is disabled: set SWITCHYARD_ADMIN_TOKEN to enable it");
  }
  const keyNeeded = scope === "any_key" ? "a gateway API key" : `a gateway API key with the ${scope} scope`;
  if (!tokenSet && !presented) {
    return new GatewayError(
      "admin_disabled",
      `the admin API needs ${keyNeeded} (or set SWITCHYARD_ADMIN_TOKEN for the operator's access)`,
    );
  }
  // Presented in open mode (no API key exists yet) or nothing presented with a token configured.
  return new GatewayError(
    "invalid_admin_token",
    `the admin API needs Authorization: Bearer <SWITCHYARD_ADMIN_TOKEN> or ${keyNeeded}`,
    "authorization",
  );
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
