import { GatewayError } from "../../errors.ts";
import { hookResultsWire, withHookResults } from "../../guardrails/hook-results.ts";
import {
  isSavedRef,
  type LeafHooks,
  type PreparedHook,
  prepareLeafHooks,
  prepareSaved,
  type SavedGuardrail,
} from "../../guardrails/hooks.ts";
import type { CheckContext, HookResult } from "../../guardrails/run-hooks.ts";
import type { HookStage } from "../../guardrails/types.ts";
import type { CompletionResult } from "../../providers/provider.ts";
import { leavesOf, type ResolvedLeaf, type RouteNode } from "../../routing/index.ts";
import { parsed } from "../context.ts";
import { jsonReply, type Reply } from "../reply.ts";
import type { AttemptContext, AttemptStage, RequestStage } from "../stage.ts";
import { denied, type GuardrailDeps, runSide } from "./guardrails-side.ts";
import { streamWithOutputHooks } from "./guardrails-stream.ts";

export type { GuardrailDeps } from "./guardrails-side.ts";

/**
 * Guardrails (Portkey's hooks; ../../guardrails/README.md has the semantics). Two stages share one
 * cache of compiled hooks:
 * - `resolve-guardrails` (request, just before `route`): every leaf's hooks compiled (memoised with
 *   the route plan) and its saved guardrails looked up for the caller's tenant — an unknown id is a
 *   400 before any upstream call, whichever target would have used it.
 * - `guardrails` (attempt, after attempt-telemetry, before the cache and call-provider): input hooks
 *   before the call (446 and no upstream call on deny; a rewritten body on transform), output hooks
 *   on the answer (446 replacing it on deny, 246 when a hook failed without deny), `hook_results`
 *   in the body. Runs once per attempt, as Portkey does.
 * Writes: outcome.guardrailHooks/guardrailChecks; feedback events for on_success/on_fail.
 */

interface ReadyHooks {
  before: PreparedHook[];
  after: PreparedHook[];
}

/** A leaf's hooks as compiled for its plan; `ready` when none is a saved guardrail (nothing to look up per request). */
interface LeafEntry {
  hooks: LeafHooks;
  ready: ReadyHooks | null;
}

const REQUEST_TYPES: ReadonlyArray<[string, string]> = [
  ["chat/completions", "chatComplete"],
  ["/completions", "complete"],
  ["embeddings", "embed"],
  ["messages", "messages"],
  ["responses", "createModelResponse"],
];
const requestTypes = new Map<string, string>();
function requestTypeOf(endpoint: string): string {
  let type = requestTypes.get(endpoint);
  if (type === undefined) {
    type = REQUEST_TYPES.find(([s]) => endpoint.endsWith(s))?.[1] ?? endpoint;
    requestTypes.set(endpoint, type);
  }
  return type;
}

export function guardrailStages(deps: GuardrailDeps): { resolve: RequestStage; attempt: AttemptStage } {
  // Compiled per plan (plans are memoised, so per config) and per saved-guardrail version (an update is a new object).
  const byPlan = new WeakMap<RouteNode, Map<string, LeafEntry> | null>();
  const bySaved = new WeakMap<SavedGuardrail, Record<HookStage, PreparedHook>>();
  // Leaves are objects of the memoised plan: a leaf's inline hooks are made ready once, not per request.
  const byLeaf = new WeakMap<ResolvedLeaf, LeafEntry>();

  function planHooks(root: RouteNode): Map<string, LeafEntry> | null {
    let hooks = byPlan.get(root);
    if (hooks === undefined) {
      hooks = new Map();
      for (const leaf of leavesOf(root)) {
        const prepared = prepareLeafHooks(leaf.hooks, deps.services);
        if (prepared === null) continue;
        const inline = !prepared.before.some(isSavedRef) && !prepared.after.some(isSavedRef);
        const entry: LeafEntry = {
          hooks: prepared,
          ready: inline ? { before: prepared.before as PreparedHook[], after: prepared.after as PreparedHook[] } : null,
        };
        hooks.set(leaf.path, entry);
        byLeaf.set(leaf, entry);
      }
      if (hooks.size === 0) hooks = null;
      byPlan.set(root, hooks);
    }
    return hooks;
  }

  function ready(tenantId: string, leafPath: string, entries: LeafHooks["before"], stage: HookStage): PreparedHook[] {
    return entries.map((entry) => {
      if (!isSavedRef(entry)) return entry;
      const saved = deps.savedGuardrail(tenantId, entry.savedId);
      if (saved === undefined) {
        throw new GatewayError(
          "invalid_config",
          `invalid x-portkey-config: ${entry.param}: no saved guardrail ${entry.savedId} for this tenant (used by ${leafPath})`,
          "x-portkey-config",
        );
      }
      let prepared = bySaved.get(saved);
      if (!prepared) {
        prepared = {
          before: prepareSaved(saved, "before", deps.services),
          after: prepareSaved(saved, "after", deps.services),
        };
        bySaved.set(saved, prepared);
      }
      return prepared[stage];
    });
  }

  const readyOf = (entry: LeafEntry, tenantId: string, path: string): ReadyHooks =>
    entry.ready ?? {
      before: ready(tenantId, path, entry.hooks.before, "before"),
      after: ready(tenantId, path, entry.hooks.after, "after"),
    };

  /** Compiles the plan's hooks (once per plan) and checks every saved guardrail it names exists for the tenant. */
  const resolve: RequestStage = {
    name: "resolve-guardrails",
    run(raw, next) {
      const ctx = parsed(raw);
      const hooks = ctx.plan ? planHooks(ctx.plan.root) : null;
      if (hooks !== null) {
        for (const [path, entry] of hooks) if (entry.ready === null) readyOf(entry, ctx.principal.tenantId, path);
      }
      return next();
    },
  };

  const attempt: AttemptStage = {
    name: "guardrails",
    run(a, next) {
      const entry = byLeaf.get(a.leaf);
      if (entry === undefined) return next();
      // Saved guardrails are looked up again (plain map reads): an admin update applies from the next attempt.
      return guarded(a, readyOf(entry, a.request.principal.tenantId, a.leaf.path), next, deps);
    },
  };
  return { resolve, attempt };
}

function checkContext(a: AttemptContext, isStreaming: boolean): CheckContext {
  const ctx = a.request;
  return {
    responseStatus: null,
    model: a.model,
    provider: a.prepared.providerId,
    requestType: requestTypeOf(ctx.endpoint.endpoint),
    isStreaming,
    metadata: ctx.metadata,
    headers: ctx.headers,
    signal: a.signal,
  };
}

async function guarded(
  a: AttemptContext,
  hooks: ReadyHooks,
  next: () => Promise<Reply>,
  deps: GuardrailDeps,
): Promise<Reply> {
  const stream = a.request.route.stream;
  const context = checkContext(a, stream);
  let before: HookResult[] = [];
  let beforeFailed = false;
  if (hooks.before.length > 0) {
    const pending = runSide(a, hooks.before, "before", a.body, a.body, context, deps);
    const run = pending instanceof Promise ? await pending : pending;
    before = run.results;
    beforeFailed = run.failed;
    if (run.denied) return denied(before, [], null);
    if (run.body !== a.body) a.body = run.body;
  }
  const reply = await next();
  // Portkey: no output hooks on embeddings.
  const after = context.requestType === "embed" ? [] : hooks.after;
  if (reply.kind === "stream") {
    return streamWithOutputHooks(a, reply, { before, beforeFailed, after, context, deps });
  }
  return answered(a, reply.result, before, beforeFailed, after, context, deps);
}

/** A JSON answer: output hooks on a 2xx, hook_results added, 246 when a hook failed without deny. */
async function answered(
  a: AttemptContext,
  result: CompletionResult,
  before: HookResult[],
  beforeFailed: boolean,
  hooks: readonly PreparedHook[],
  context: CheckContext,
  deps: GuardrailDeps,
): Promise<Reply> {
  const ok = result.status >= 200 && result.status < 300;
  let after: HookResult[] = [];
  let afterFailed = false;
  let rewritten: unknown = null;
  if (ok && hooks.length > 0) {
    let json: unknown = null;
    try {
      json = JSON.parse(result.body.toString("utf8"));
    } catch {
      // not JSON: output checks see no text
    }
    const pending = runSide(a, hooks, "after", json, a.body, { ...context, responseStatus: result.status }, deps);
    const run = pending instanceof Promise ? await pending : pending;
    after = run.results;
    afterFailed = run.failed;
    if (run.denied) return denied(before, after, result);
    if (run.body !== json) rewritten = run.body;
  }
  if (before.length === 0 && after.length === 0) return jsonReply(result);
  const body =
    rewritten !== null && typeof rewritten === "object"
      ? Buffer.from(JSON.stringify({ ...rewritten, hook_results: hookResultsWire(before, after) }))
      : withHookResults(result.body, before, after);
  if (body === null) return jsonReply(result);
  const status = ok && (beforeFailed || afterFailed) ? 246 : result.status;
  return jsonReply({ ...result, status, body });
}
