import { GatewayError } from "../../errors.ts";
import type { ProviderRegistry } from "../../providers/registry.ts";
import { type ParsedContext, parsed } from "../context.ts";
import type { ControlLookup } from "../control-lookup.ts";
import type { CustomHostGuard } from "../custom-host-guard.ts";
import { type PreparedTarget, prepareTargets } from "../prepare-targets.ts";
import type { Reply } from "../reply.ts";
import type { RequestStage } from "../stage.ts";

/**
 * Makes every leaf of the plan ready before any upstream call: provider known and offering this
 * endpoint, virtual key found, enabled and decrypted, provider fields complete, custom host allowed.
 * Any problem anywhere in the config is a 4xx now, not after a first upstream call.
 * Reads: plan. Writes: targets.
 */
export function prepareTargetsStage(
  control: ControlLookup,
  customHosts: CustomHostGuard,
  providers: ProviderRegistry,
): RequestStage {
  return {
    name: "prepare-targets",
    run(raw, next) {
      const ctx = parsed(raw);
      if (ctx.plan === null) throw new Error("pipeline: prepare-targets must run after plan-route");
      const targets = prepareTargets(
        ctx.plan.root,
        ctx.principal.tenantId,
        ctx.headers,
        control,
        customHosts,
        providers,
      );
      // Synchronous unless a custom host is being looked up (prepareTargets): no promise of its own otherwise.
      if (targets instanceof Promise) return targets.then((ready) => checked(ctx, ready, providers, next));
      return checked(ctx, targets, providers, next);
    },
  };
}

/** Every prepared target offers this endpoint (else a 4xx naming it); the endpoint's target tweaks applied. */
function checked(
  ctx: ParsedContext<unknown>,
  targets: Map<string, PreparedTarget>,
  providers: ProviderRegistry,
  next: () => Promise<Reply>,
): Promise<Reply> {
  const endpoint = ctx.endpoint;
  for (const [path, prepared] of targets) {
    const why = endpoint.unsupported(providers[prepared.providerId]);
    if (why)
      throw new GatewayError("invalid_request", why, path === "config" ? "x-portkey-provider" : `${path}.provider`);
    if (endpoint.target) prepared.target = endpoint.target(prepared.target, ctx.headers);
  }
  ctx.targets = targets;
  return next();
}
