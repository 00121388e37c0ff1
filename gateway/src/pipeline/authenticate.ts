import { bearerToken, type KeyStore, type Principal } from "@switchyard/platform";
import { GatewayError } from "../errors.ts";
import { type HeaderBag, headerValue } from "../http/portkey-headers.ts";

export interface Authenticated {
  principal: Principal;
  /** The raw value that authenticated the caller, so it is never mistaken for a provider key. */
  gatewayKey: string | undefined;
}

/**
 * The gateway key is `x-portkey-api-key`, or the Authorization bearer when that is a known
 * gateway key (openai SDK users put it there). Anything else in Authorization is left for the
 * provider. Open local-dev mode (no keys configured) admits everyone as the default tenant.
 */
export function authenticate(headers: HeaderBag, keys: KeyStore): Authenticated {
  const portkeyKey = headerValue(headers, "x-portkey-api-key");
  const bearer = bearerToken(headerValue(headers, "authorization"));
  // In open mode there are no gateway keys to recognise, so the bearer is left alone unhashed.
  const bearerIsGatewayKey = bearer !== undefined && !keys.openMode && keys.isGatewayKey(bearer);
  const gatewayKey = portkeyKey ?? (bearerIsGatewayKey ? bearer : undefined);
  const outcome = keys.authenticate(gatewayKey);
  if (outcome.ok) return { principal: outcome.principal, gatewayKey };
  const messages = {
    missing_api_key: "a gateway API key is required: send x-portkey-api-key or Authorization: Bearer <key>",
    invalid_api_key: "the gateway API key is not valid",
    revoked_api_key: "the gateway API key has been revoked",
  } as const;
  throw new GatewayError(outcome.reason, messages[outcome.reason]);
}
