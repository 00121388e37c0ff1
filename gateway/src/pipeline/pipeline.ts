import { activeTelemetry, Scopes } from "@switchyard/platform";
import { createGuardrailMetrics } from "../guardrails/guardrail-metrics.ts";
import { promptTargetsStage, renderPromptStage } from "../prompts/prompt-stages.ts";
import type { PipelineDeps } from "./deps.ts";
import { type AttemptStage, attemptStageWhen, type RequestStage } from "./stage.ts";
import { attemptTelemetry } from "./stages/attempt-telemetry.ts";
import { authenticateStage } from "./stages/authenticate.ts";
import { cacheStage } from "./stages/cache.ts";
import { captureAttemptBody, captureBodies, DEFAULT_BODY_CAPTURE } from "./stages/capture-bodies.ts";
import { emitEvent } from "./stages/emit-event.ts";
import { enforceLimitsStage, refuseExcludedTargets } from "./stages/enforce-limits.ts";
import { guardrailStages } from "./stages/guardrails.ts";
import { parseRequest } from "./stages/parse-request.ts";
import { planRouteStage } from "./stages/plan-route.ts";
import { prepareTargetsStage } from "./stages/prepare-targets.ts";
import { recordOutcome } from "./stages/record-outcome.ts";
import { routeStage } from "./stages/route.ts";
import { traceRequest } from "./stages/trace-request.ts";

/** The two chains every routed endpoint runs: request-level stages, and attempt-level ones around each provider call. */
export interface Pipeline {
  readonly request: readonly RequestStage[];
  readonly attempt: readonly AttemptStage[];
}

/**
 * Lets an app insert its own stages (the cache, guardrails, limits and prompts issues plug in here;
 * tests add throw-away ones): each function receives a default chain and returns the one to run.
 */
export interface PipelineCustomizer {
  request?(defaults: readonly RequestStage[]): readonly RequestStage[];
  attempt?(defaults: readonly AttemptStage[]): readonly AttemptStage[];
}

/** The default order (README.md): each stage may rely on what the stages before it wrote. */
export function defaultPipeline(deps: PipelineDeps, customize: PipelineCustomizer = {}): Pipeline {
  const guardrails = guardrailStages({
    savedGuardrail: (tenantId, id) => deps.control.savedGuardrail(tenantId, id),
    services: { checkUrl: deps.customHosts.check, fetch: globalThis.fetch },
    sink: deps.sink,
    metrics: createGuardrailMetrics(activeTelemetry().meter(Scopes.gateway)),
  });
  // Guardrails around the cache: denied input never reaches it, and output hooks run on every answer,
  // a cached one too, so an answer a hook denies is never served (from the upstream or the cache).
  const defaultAttempt: readonly AttemptStage[] = [
    attemptTelemetry,
    // A target its own limits took out (an exhausted virtual key) answers 412/429: fallback goes on.
    ...(deps.limiter ? [refuseExcludedTargets] : []),
    guardrails.attempt,
    // After redaction: the stored prompt is what went upstream (capture-bodies.ts).
    captureAttemptBody(deps.bodyCapture ?? DEFAULT_BODY_CAPTURE, deps.control),
    // Only for a leaf with a cache config: without one the attempt goes straight on.
    attemptStageWhen(cacheStage(deps.cache, deps.eventEnv.priceOverrides, deps), (a) => a.leaf.cache !== null),
  ];
  const attempt = customize.attempt?.(defaultAttempt) ?? defaultAttempt;
  const defaultRequest: readonly RequestStage[] = [
    traceRequest(deps.telemetry, deps.newTraceId),
    authenticateStage(deps.keys),
    emitEvent(deps.sink, deps.eventEnv),
    recordOutcome,
    captureBodies(deps.bodyCapture ?? DEFAULT_BODY_CAPTURE, deps.control),
    parseRequest,
    renderPromptStage(deps.control),
    planRouteStage(deps.planRoute),
    promptTargetsStage(deps.control, deps.planRoute),
    prepareTargetsStage(deps.control, deps.customHosts, deps.providers),
    guardrails.resolve,
    ...(deps.limiter ? [enforceLimitsStage(deps.limiter, deps.eventEnv.priceOverrides)] : []),
    routeStage(deps.providers, deps.breakers, attempt, deps.maxAttempts),
  ];
  return { request: customize.request?.(defaultRequest) ?? defaultRequest, attempt };
}

/** Inserts `stage` just before the stage named `before` (e.g. "route"); throws on an unknown name. */
export function insertBefore(stages: readonly RequestStage[], before: string, stage: RequestStage): RequestStage[] {
  const index = stages.findIndex((s) => s.name === before);
  if (index < 0) throw new Error(`pipeline: no stage named ${before}`);
  return [...stages.slice(0, index), stage, ...stages.slice(index)];
}
