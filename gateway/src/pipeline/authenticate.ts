import { type ApiKeyScope, bearerToken, type KeyStore, type Principal, scopeAllows } from "@switchyard/platform";
import { GatewayError } from "../errors.ts";
import { type HeaderBag, headerValue } from "../http/portkey-headers.ts";

export interface Authenticated {
  principal: Principal;
  /** The raw value that authenticated the caller, so it is never mistaken for a provider key. */
  gatewayKey: string | undefined;
}

/** A 403 naming the scope the caller's API key lacks (keys without a scope list have them all). */
export function requireScope(principal: Principal, scope: ApiKeyScope): void {
  if (!scopeAllows(principal.scopes, scope)) {
    throw new GatewayError("insufficient_scope", `this API key lacks the ${scope} scope`, "x-portkey-api-key");
  }
}

/**
 * The gateway key is `x-portkey-api-key`, else an endpoint's native credential header (e.g.
 * Anthropic's x-api-key) when that holds a known gateway key, else the Authorization bearer
 * when that does (openai SDK users put it there). Anything else is left for the provider. Open
 * local-dev mode (no keys configured) admits everyone as the default tenant.
 */
export function authenticate(headers: HeaderBag, keys: KeyStore, nativeKey?: string): Authenticated {
  // In open mode there are no gateway keys to recognise, so candidates are left alone unhashed.
  const known = (candidate: string | undefined): string | undefined =>
    candidate !== undefined && !keys.openMode && keys.isGatewayKey(candidate) ? candidate : undefined;
  const gatewayKey =
    headerValue(headers, "x-portkey-api-key") ??
    known(nativeKey) ??
    known(bearerToken(headerValue(headers, "authorization")));
  const outcome = keys.authenticate(gatewayKey);
  if (outcome.ok) return { principal: outcome.principal, gatewayKey };
  const messages = {
    missing_api_key: "a gateway API key is required: send x-portkey-api-key or Authorization: Bearer <key>",
    invalid_api_key: "the gateway API key is not valid",
    revoked_api_key: "the gateway API key has been revoked",
  } as const;
  throw new GatewayError(outcome.reason, messages[outcome.reason]);
}
