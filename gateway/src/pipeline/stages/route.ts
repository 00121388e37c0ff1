import { GatewayError } from "../../errors.ts";
import type { ProviderRegistry } from "../../providers/registry.ts";
import {
  type CircuitBreakers,
  NoRouteError,
  productionRouterDeps,
  type RouteResult,
  routeRequest,
} from "../../routing/index.ts";
import { eventAttempts } from "../attempts.ts";
import { parsed } from "../context.ts";
import { discardReply, type Reply } from "../reply.ts";
import { type AttemptContext, type AttemptStage, type RequestStage, runChain } from "../stage.ts";
import { callProvider, isInternalFault, replyErrorType, replyHeaders, replyStatus } from "./call-provider.ts";

/**
 * The last stage: runs the route tree (retry, fallback, loadbalance, conditional, timeout, circuit
 * breaker — routing/ is transport-free) and answers with the reply of the attempt that won. Each
 * provider call runs inside the attempt-level stages. It never calls `next`.
 * Reads: request, plan, targets. Writes: outcome.attempts/provider/targetPath/virtualKeyId/
 * retryCount/upstreamStartedAt, responseHeaders (provider, retry count, last used option, cache status).
 */
export function routeStage(
  providers: ProviderRegistry,
  breakers: CircuitBreakers,
  attemptStages: readonly AttemptStage[],
  maxAttempts: number,
): RequestStage {
  return {
    name: "route",
    async run(raw) {
      const ctx = parsed(raw);
      const { plan, targets, outcome } = ctx;
      if (plan === null || targets === null) throw new Error("pipeline: route must run after prepare-targets");
      ctx.responseHeaders["x-portkey-cache-status"] = outcome.cacheStatus;
      const models = new Map<string, string>();
      const tries = new Map<string, number>();
      outcome.upstreamStartedAt = performance.now();
      let result: RouteResult<Reply>;
      try {
        result = await routeRequest<Reply>(
          plan.root,
          {
            metadata: ctx.metadata,
            params: ctx.endpoint.params ? ctx.endpoint.params(ctx.request) : (ctx.request as Record<string, unknown>),
            pathname: ctx.endpoint.endpoint,
          },
          async (leaf, signal) => {
            const prepared = targets.get(leaf.path);
            if (!prepared) throw new Error(`no prepared target for ${leaf.path}`);
            // The request as this leaf sends it; copied only when the leaf overrides something.
            const body = hasKeys(leaf.overrideParams)
              ? { ...(ctx.request as object), ...leaf.overrideParams }
              : ctx.request;
            const model = ctx.endpoint.describe(body).model;
            models.set(leaf.path, model);
            const retry = tries.get(leaf.path) ?? 0;
            tries.set(leaf.path, retry + 1);
            const attempt: AttemptContext = {
              request: ctx,
              leaf,
              prepared,
              provider: providers[prepared.providerId],
              body,
              model,
              retry,
              target: prepared.target,
              signal,
            };
            const value = await runChain(attemptStages, attempt, callProvider);
            return {
              status: replyStatus(value),
              headers: replyHeaders(value),
              value,
              errorType: replyErrorType(value),
            };
          },
          productionRouterDeps(breakers, ctx.signal, { discard: discardReply, isFault: isInternalFault }),
          { maxAttempts },
        );
      } catch (error) {
        if (error instanceof NoRouteError)
          throw new GatewayError("no_route_matched", error.message, "x-portkey-config");
        throw error;
      }
      const final = targets.get(result.leaf.path);
      outcome.attempts = eventAttempts(result.attempts, targets, models, ctx.route.modelRequested);
      outcome.provider = final?.providerId ?? result.leaf.provider;
      outcome.targetPath = result.leaf.path;
      outcome.virtualKeyId = final?.virtualKeyId ?? null;
      outcome.retryCount = result.retryCount;
      ctx.responseHeaders["x-portkey-provider"] = outcome.provider ?? "";
      ctx.responseHeaders["x-portkey-retry-attempt-count"] = String(result.retryCount);
      ctx.responseHeaders["x-portkey-last-used-option-index"] = result.leaf.path;
      const routed = result.outcome;
      if (routed.kind === "response") return routed.value;
      outcome.upstreamEndedAt = performance.now();
      throw failureError(routed.errorType, routed.message, routed.cause);
    },
  };
}

/** The router's failure as the error the client gets (an internal fault never gets here: the router rethrows it). */
function failureError(errorType: string, message: string, cause: unknown): unknown {
  if (cause instanceof GatewayError) return cause;
  const code = ({ timeout: "request_timeout", circuit_open: "circuit_open" } as const)[
    errorType as "timeout" | "circuit_open"
  ];
  return new GatewayError(code ?? "upstream_unreachable", message);
}

function hasKeys(object: Readonly<Record<string, unknown>>): boolean {
  for (const _ in object) return true;
  return false;
}
