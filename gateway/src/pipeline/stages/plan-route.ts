import { headerValue, isPlaceholderKey, providerKeyFrom } from "../../http/portkey-headers.ts";
import { parsed } from "../context.ts";
import type { RoutePlanner } from "../plan-route.ts";
import type { RequestStage } from "../stage.ts";

/**
 * Turns the routing headers (x-portkey-config — inline or a saved `pc-…` id —, provider, virtual
 * key, custom host, …) and the caller's provider key into the route tree (memoised by the planner).
 * Writes: plan, route.configId.
 */
export function planRouteStage(planRoute: RoutePlanner): RequestStage {
  return {
    name: "plan-route",
    run(raw, next) {
      const ctx = parsed(raw);
      const plan = planRoute(
        ctx.headers,
        ctx.principal.tenantId,
        providerKey(ctx.headers, ctx.endpoint.apiKeyHeader, ctx.gatewayKey),
      );
      ctx.plan = plan;
      ctx.route.configId = plan.configId;
      return next();
    },
  };
}

/**
 * The provider key the caller sent: Authorization / x-portkey-provider-key style headers, else a
 * native credential header (Anthropic's x-api-key) that did not authenticate the caller — unless
 * x-portkey-api-key carries the gateway key or the value is a placeholder.
 */
function providerKey(
  headers: Parameters<typeof headerValue>[0],
  nativeHeader: string | undefined,
  gatewayKey: string | undefined,
): string | null {
  const fromHeaders = providerKeyFrom(headers, gatewayKey);
  if (fromHeaders !== null || nativeHeader === undefined) return fromHeaders;
  const nativeKey = headerValue(headers, nativeHeader)?.trim() || undefined;
  return nativeKey !== undefined &&
    nativeKey !== gatewayKey &&
    headerValue(headers, "x-portkey-api-key") === undefined &&
    !isPlaceholderKey(nativeKey)
    ? nativeKey
    : null;
}
