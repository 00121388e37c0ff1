import type { KeyStore } from "@switchyard/platform";
import { headerValue } from "../../http/portkey-headers.ts";
import { authenticate } from "../authenticate.ts";
import type { RequestStage } from "../stage.ts";

/**
 * Who is calling: the gateway key (x-portkey-api-key, the endpoint's native header, or a bearer
 * that is a known gateway key) → principal. A 401 here is answered before admission: no event.
 * Writes: principal, gatewayKey.
 */
export function authenticateStage(keys: KeyStore): RequestStage {
  return {
    name: "authenticate",
    run(ctx, next) {
      const header = ctx.endpoint.apiKeyHeader;
      const nativeKey = header ? headerValue(ctx.headers, header)?.trim() || undefined : undefined;
      const { principal, gatewayKey } = authenticate(ctx.headers, keys, nativeKey);
      ctx.principal = principal;
      ctx.gatewayKey = gatewayKey;
      return next();
    },
  };
}
