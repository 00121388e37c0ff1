import { type PriceOverride, priceUsage } from "@switchyard/events";
import { openAIErrorBody } from "@switchyard/platform";
import { rateLimitHeaders, refusalError } from "../../limits/limit-answers.ts";
import type { ActualUsage, AdmitRequest, Limiter, LimitTarget, Refusal } from "../../limits/limiter.ts";
import { leavesOf } from "../../routing/index.ts";
import { type ParsedContext, parsed } from "../context.ts";
import { jsonReply, type Reply } from "../reply.ts";
import type { AttemptStage, RequestStage } from "../stage.ts";

/**
 * Budgets and rate limits (gateway/src/limits/README.md). Before routing, reserves the request's
 * worst case against every limit it falls under — the tenant's, its API key's, each virtual key
 * of its route, and every matching policy — and refuses (429 / 412) when one does not fit. When
 * the response is over (a finisher: it runs once, whatever happened) the real usage replaces the
 * reservation. Placed after prepare-targets (it needs the targets) and before any stage that may
 * answer early, so a cache hit still counts toward request limits.
 * Reads: principal, metadata, plan, targets, request. Writes: outcome.limitChecks, rate-limit headers.
 */
export function enforceLimitsStage(limiter: Limiter, priceOverrides: readonly PriceOverride[]): RequestStage {
  return {
    name: "enforce-limits",
    run(raw, next) {
      const ctx = parsed(raw);
      // A request no limit covers passes straight through: no promise of this stage's own.
      if (!limiter.hasPolicies(ctx.principal.tenantId)) return next();
      const input = admitRequestOf(ctx);
      const counters = limiter.plan(input);
      if (counters.length === 0) return next();
      return admitted(ctx, input, counters, next);
    },
  };

  async function admitted(
    ctx: ParsedContext<unknown>,
    input: AdmitRequest,
    counters: ReturnType<Limiter["plan"]>,
    next: () => Promise<Reply>,
  ): Promise<Reply> {
    // In memory an admitted request is decided without a promise (Limiter.admit).
    const pending = limiter.admit(input, counters);
    const admission = pending instanceof Promise ? await pending : pending;
    ctx.outcome.limitChecks = admission.checks;
    const headers = rateLimitHeaders(admission);
    Object.assign(ctx.responseHeaders, headers);
    if (admission.refusal !== null) {
      const refused = refusalError(admission.refusal);
      Object.assign(ctx.responseHeaders, refused.headers);
      throw refused.error;
    }
    if (admission.excluded.size > 0) excludedTargets.set(ctx, admission.excluded);
    ctx.finishers.push(() => void limiter.settle(admission, actualUsageOf(ctx, priceOverrides)));
    return withHeaders(await next(), headers);
  }
}

/** Per request: the targets whose own limits refused it (see Limiter.admit), for refuseExcludedTargets. */
const excludedTargets = new WeakMap<object, ReadonlyMap<string, Refusal>>();

/**
 * The attempt stage beside enforce-limits: an attempt on a target its own limits took out of the
 * request (an exhausted virtual key) is answered with that refusal (412 / 429) without calling the
 * provider, so a fallback config goes on to its next target. First in the attempt chain.
 */
export const refuseExcludedTargets: AttemptStage = {
  name: "refuse-excluded-targets",
  run(attempt, next) {
    const refusal = excludedTargets.get(attempt.request)?.get(attempt.leaf.path);
    if (refusal === undefined) return next();
    const { error, headers } = refusalError(refusal);
    return Promise.resolve(
      jsonReply({
        status: error.status,
        headers,
        body: Buffer.from(JSON.stringify(openAIErrorBody(error))),
        usage: null,
        model: null,
        failure: { type: error.code, message: error.message },
        responseId: null,
        finishReasons: null,
      }),
    );
  },
};

function admitRequestOf(ctx: ParsedContext<unknown>): AdmitRequest {
  const { plan, targets } = ctx;
  if (plan === null || targets === null) throw new Error("pipeline: enforce-limits must run after prepare-targets");
  const limitTargets: LimitTarget[] = [];
  for (const leaf of leavesOf(plan.root)) {
    const prepared = targets.get(leaf.path);
    if (prepared === undefined) continue;
    const model = leaf.overrideParams.model;
    limitTargets.push({
      path: leaf.path,
      provider: prepared.providerId,
      model: typeof model === "string" ? model : ctx.route.modelRequested,
      virtualKeyId: prepared.virtualKeyId,
      overrides: leaf.overrideParams,
    });
  }
  const params = ctx.endpoint.params ? ctx.endpoint.params(ctx.request) : (ctx.request as Record<string, unknown>);
  return {
    tenantId: ctx.principal.tenantId,
    request: { apiKeyId: ctx.principal.apiKeyId, metadata: ctx.metadata },
    targets: limitTargets,
    params,
  };
}

/** The request's real usage, priced exactly as its event will be (request-event.ts). */
function actualUsageOf(ctx: ParsedContext<unknown>, priceOverrides: readonly PriceOverride[]): ActualUsage {
  const o = ctx.outcome;
  const cacheHit = o.cacheStatus === "HIT" || o.cacheStatus === "SEMANTIC HIT";
  if (o.usage === null || cacheHit) return { tokens: 0, costNano: 0, targetPath: o.targetPath, cacheHit };
  const model = o.modelUsed ?? ctx.route.modelRequested;
  const cost = priceUsage(o.provider ?? "none", model, o.usage, priceOverrides);
  return {
    tokens: o.usage.input_tokens + o.usage.output_tokens,
    costNano: cost.cost_nano_usd,
    targetPath: o.targetPath,
    cacheHit,
  };
}

/**
 * OpenAI's x-ratelimit-* headers are the gateway's own for a limited key, not the upstream's. They
 * are in ctx.responseHeaders, which the route writes before the reply's own: only a reply carrying
 * the upstream's headers of the same names needs ours written over them.
 */
function withHeaders(reply: Reply, headers: Record<string, string>): Reply {
  const own = reply.kind === "json" ? reply.result.headers : reply.headers;
  let clash = false;
  for (const name in headers) if (Object.hasOwn(own, name)) clash = true;
  if (!clash) return reply;
  if (reply.kind === "json")
    return { ...reply, result: { ...reply.result, headers: { ...reply.result.headers, ...headers } } };
  return { ...reply, headers: { ...reply.headers, ...headers } };
}
