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
import { type ParsedContext, parsed, type RequestContext } from "../context.ts";
import type { PreparedTarget } from "../prepare-targets.ts";
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
    // Not async (nor the executor): any throw is still a rejection, with two promises less per request.
    run(raw) {
      let started: Started;
      try {
        started = startRoute(raw, providers, breakers, attemptStages, maxAttempts);
      } catch (error) {
        return Promise.reject(error);
      }
      return started.routed.then(
        (result) => answered(started, result),
        (error: unknown) => {
          if (error instanceof NoRouteError)
            throw new GatewayError("no_route_matched", error.message, "x-portkey-config");
          throw error;
        },
      );
    },
  };
}

interface Started {
  ctx: ParsedContext<unknown>;
  targets: ReadonlyMap<string, PreparedTarget>;
  /** The model each leaf's attempts asked for, by leaf path (the event's attempts). */
  models: Map<string, string>;
  routed: Promise<RouteResult<Reply>>;
}

/** The route tree run over the prepared targets, each provider call inside the attempt-level stages. */
function startRoute(
  raw: RequestContext,
  providers: ProviderRegistry,
  breakers: CircuitBreakers,
  attemptStages: readonly AttemptStage[],
  maxAttempts: number,
): Started {
  const ctx = parsed(raw);
  const { plan, targets, outcome } = ctx;
  if (plan === null || targets === null) throw new Error("pipeline: route must run after prepare-targets");
  ctx.responseHeaders["x-portkey-cache-status"] = outcome.cacheStatus;
  const models = new Map<string, string>();
  const tries = new Map<string, number>();
  outcome.upstreamStartedAt = performance.now();
  const routed = routeRequest<Reply>(
    plan.root,
    {
      metadata: ctx.metadata,
      params: ctx.endpoint.params ? ctx.endpoint.params(ctx.request) : (ctx.request as Record<string, unknown>),
      pathname: ctx.endpoint.endpoint,
    },
    (leaf, signal) => {
      try {
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
        return runChain(attemptStages, attempt, callProvider).then((value) => ({
          status: replyStatus(value),
          headers: replyHeaders(value),
          value,
          errorType: replyErrorType(value),
        }));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    productionRouterDeps(breakers, ctx.signal, { discard: discardReply, isFault: isInternalFault }),
    { maxAttempts },
  );
  return { ctx, targets, models, routed };
}

/** The route's answer: the outcome's routing facts and headers, then the winning reply (or its failure, thrown). */
function answered({ ctx, targets, models }: Started, result: RouteResult<Reply>): Reply {
  const outcome = ctx.outcome;
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
