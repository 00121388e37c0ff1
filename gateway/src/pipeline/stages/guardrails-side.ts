import { newEventId } from "@switchyard/events";
import type { GuardrailMetrics } from "../../guardrails/guardrail-metrics.ts";
import { deniedBody, eventRecords } from "../../guardrails/hook-results.ts";
import type { PreparedHook, SavedGuardrail } from "../../guardrails/hooks.ts";
import { type CheckContext, type HookResult, runHooks } from "../../guardrails/run-hooks.ts";
import type { CheckServices, HookStage } from "../../guardrails/types.ts";
import type { CompletionResult } from "../../providers/provider.ts";
import type { ParsedContext } from "../context.ts";
import type { EventSink } from "../emit.ts";
import { jsonReply, type Reply } from "../reply.ts";
import type { AttemptContext } from "../stage.ts";

/**
 * What the guardrail stages share (guardrails.ts for JSON answers, guardrails-stream.ts for streams):
 * running one side's hooks with its span, event records, metrics and feedback, and the 446 answer.
 */

export interface GuardrailDeps {
  savedGuardrail(tenantId: string, id: string): SavedGuardrail | undefined;
  services: CheckServices;
  sink: EventSink;
  metrics: GuardrailMetrics;
}

export interface SideRun {
  results: HookResult[];
  body: unknown;
  failed: boolean;
  denied: boolean;
}

/**
 * Runs one side's hooks: inline ones run (synchronously when their checks are: no promise for a
 * hook of cheap checks), async ones started and recorded when they end.
 */
export function runSide(
  a: AttemptContext,
  hooks: readonly PreparedHook[],
  stage: HookStage,
  body: unknown,
  requestJson: unknown,
  context: CheckContext,
  deps: GuardrailDeps,
): SideRun | Promise<SideRun> {
  const ctx = a.request;
  let inline = hooks;
  if (hooks.some((h) => h.async)) {
    inline = hooks.filter((h) => !h.async);
    const detached = hooks.filter((h) => h.async);
    // Never delays the request; its results reach the event if they end before it is built.
    void Promise.resolve(runHooks(detached, body, requestJson, context, ctx.metadata)).then(
      (run) => record(ctx, run.results, stage, deps),
      () => undefined,
    );
  }
  if (inline.length === 0) return { results: [], body, failed: false, denied: false };
  const t = ctx.telemetry;
  // A span per hook, around that hook's own run (hooks run one after another).
  const trace = t ? (hook: PreparedHook) => t.guardrail(hook.id, stage === "before" ? "input" : "output") : undefined;
  const pending = runHooks(inline, body, requestJson, context, ctx.metadata, trace);
  if (pending instanceof Promise) {
    return pending.then((run) => {
      record(ctx, run.results, stage, deps);
      return run;
    });
  }
  record(ctx, pending.results, stage, deps);
  return pending;
}

function record(
  ctx: ParsedContext<unknown>,
  results: readonly HookResult[],
  stage: HookStage,
  deps: GuardrailDeps,
): void {
  eventRecords(results, stage, ctx.outcome.guardrailHooks, ctx.outcome.guardrailChecks);
  for (const r of results) {
    deps.metrics.hook(r.id, stage, r.verdict ? "pass" : r.deny ? "deny" : "fail", r.execution_time / 1000);
    if (r.feedback === null) continue;
    deps.sink.emitFeedback({
      event_id: newEventId(),
      schema_version: 1,
      occurred_at: new Date().toISOString(),
      tenant_id: ctx.principal.tenantId,
      trace_id: ctx.traceId,
      value: r.feedback.value,
      weight: r.feedback.weight,
      metadata: Object.fromEntries(Object.entries(r.feedback.metadata).map(([k, v]) => [k, String(v)])),
    });
  }
}

/**
 * The client opted out of strict OpenAI compliance (the header, or the config's
 * `strict_open_ai_compliance: false`; the header wins): hook_results may travel as extra SSE events.
 */
export function nonStrict(a: AttemptContext): boolean {
  const header = a.request.headers["x-portkey-strict-open-ai-compliance"];
  if (typeof header === "string") return header.toLowerCase() === "false";
  return a.leaf.strictOpenAiCompliance === false;
}

/** 446: the upstream never called (input) or its answer replaced (output; its usage still counts). */
export function denied(
  before: HookResult[],
  after: HookResult[],
  answered: Pick<CompletionResult, "usage" | "model"> | null,
): Reply {
  return jsonReply({
    status: 446,
    headers: {},
    body: deniedBody(before, after),
    usage: answered?.usage ?? null,
    model: answered?.model ?? null,
    failure: { type: "hooks_failed", message: "a guardrail denied the request" },
    responseId: null,
    finishReasons: null,
  });
}
