import { headerValue, providerKeyFrom } from "../http/portkey-headers.ts";
import { requireScope } from "../pipeline/authenticate.ts";
import { parsed, type RequestContext } from "../pipeline/context.ts";
import type { RoutePlanner } from "../pipeline/plan-route.ts";
import { jsonReply, type Reply } from "../pipeline/reply.ts";
import type { RequestStage } from "../pipeline/stage.ts";
import type { ChatCompletionRequest } from "../schemas/chat.ts";
import type { ChatRequestLike } from "../telemetry/index.ts";
import { type PromptCall, renderPromptChat } from "./prompt-call.ts";
import { draftPrompt } from "./prompt-draft.ts";
import { envelopeOf, isPromptEndpoint, type PromptMode, promptCallOf } from "./prompt-endpoint.ts";
import { type PromptLookup, parsePromptRef, type ResolvedPrompt, resolvePrompt } from "./prompt-resolver.ts";
import { promptTargets } from "./prompt-targets.ts";

/** What render-prompt leaves for prompt-targets, per request. */
interface PromptRun {
  call: PromptCall;
  resolved: ResolvedPrompt;
}
const runs = new WeakMap<RequestContext, PromptRun>();

/**
 * render-prompt (right after parse-request): resolves `id[@version|@latest|@label]` in the
 * caller's tenant, renders the version's template with the call's variables, and replaces the
 * placeholder request with the chat request it makes (saved params < root params). `/render`
 * answers here, with no upstream call; `/completions` goes on like any chat request.
 * Writes: request, route.modelRequested/stream, outcome.prompt. 400/404 before any upstream call.
 */
export function renderPromptStage(lookup: PromptLookup): RequestStage {
  return {
    name: "render-prompt",
    run(raw, next) {
      // Every other endpoint passes straight through: no promise of this stage's own.
      return isPromptEndpoint(raw.endpoint) ? render(raw, raw.endpoint.promptMode, next) : next();
    },
  };

  async function render(raw: RequestContext, mode: PromptMode, next: () => Promise<Reply>): Promise<Reply> {
    const ctx = parsed(raw);
    requireScope(ctx.principal, mode === "render" ? "prompts.read" : "completions");
    // An unsaved template is authoring (and may reach the tenant's partials): prompts.write too.
    if (mode === "draft") requireScope(ctx.principal, "prompts.write");
    const { promptRef } = envelopeOf(ctx.rawBody);
    const call = promptCallOf(ctx.request, ctx.rawBody);
    const tenantId = ctx.principal.tenantId;
    const resolved =
      call.draft !== undefined
        ? draftPrompt(tenantId, call.draft)
        : resolvePrompt(lookup, tenantId, parsePromptRef(promptRef ?? "", "prompt_id"), "prompt_id");
    const chat = renderPromptChat(lookup, tenantId, resolved, call);
    ctx.request = chat;
    ctx.route.modelRequested = chat.model;
    ctx.route.stream = chat.stream === true;
    ctx.telemetry?.setRequest(chat as ChatRequestLike);
    // A draft is no saved version: its requests name none (the endpoint tells them apart).
    if (call.draft === undefined) {
      ctx.outcome.prompt = { id: resolved.prompt.id, version: resolved.version.version, label: resolved.label };
      ctx.responseHeaders["x-portkey-prompt-version"] = `${resolved.prompt.id}@${resolved.version.version}`;
    }
    if (mode === "render") return renderAnswer(chat);
    runs.set(raw, { call, resolved });
    return next();
  }
}

/**
 * prompt-targets (before prepare-targets): when the call brings no routing of its own, the
 * version's virtual key or saved config routes it; config targets that carry `prompt_id` (A/B
 * tests, fallback between prompts) get that prompt rendered with the same variables, and its
 * virtual key when they name no upstream. Once routed, the event records the prompt of the
 * target that answered.
 */
export function promptTargetsStage(lookup: PromptLookup, planRoute: RoutePlanner): RequestStage {
  return {
    name: "prompt-targets",
    run(raw, next) {
      const run = runs.get(raw);
      // A request render-prompt did not render passes straight through: no promise of this stage's own.
      return run ? routeRun(raw, run, next) : next();
    },
  };

  async function routeRun(raw: RequestContext, run: PromptRun, next: () => Promise<Reply>): Promise<Reply> {
    const ctx = parsed(raw);
    const tenantId = ctx.principal.tenantId;
    const version = run.resolved.version;
    if (ctx.plan !== null && !hasRoutingHeaders(ctx.headers) && (version.config_id || version.virtual_key)) {
      const header = version.config_id
        ? { "x-portkey-config": version.config_id }
        : { "x-portkey-virtual-key": version.virtual_key };
      ctx.plan = planRoute({ ...ctx.headers, ...header }, tenantId, providerKeyFrom(ctx.headers, ctx.gatewayKey));
      ctx.route.configId = ctx.plan.configId;
    }
    if (ctx.plan === null) return next();
    const render = (promptId: string) => {
      const resolved = resolvePrompt(lookup, tenantId, parsePromptRef(promptId, "prompt_id"), "prompt_id");
      return { resolved, chat: renderPromptChat(lookup, tenantId, resolved, run.call) };
    };
    const targets = promptTargets(ctx.plan.root, ctx.request as ChatCompletionRequest, render);
    if (targets.byPath.size === 0) return next();
    ctx.plan = { ...ctx.plan, root: targets.root };
    try {
      return await next();
    } finally {
      const chosen = ctx.outcome.targetPath === null ? undefined : targets.byPath.get(ctx.outcome.targetPath);
      if (chosen) {
        const { prompt, version, label } = chosen.resolved;
        ctx.outcome.prompt = { id: prompt.id, version: version.version, label };
        // What was asked for is the chosen prompt's model (a leaf's own override_params.model aside).
        ctx.route.modelRequested = chosen.model;
      }
    }
  }
}

function hasRoutingHeaders(headers: RequestContext["headers"]): boolean {
  return ["x-portkey-config", "x-portkey-provider", "x-portkey-virtual-key"].some(
    (name) => (headerValue(headers, name)?.trim() ?? "") !== "",
  );
}

/** `/render`'s answer: Portkey's `{success, data}` with the request the prompt makes. */
function renderAnswer(chat: ChatCompletionRequest) {
  return jsonReply({
    status: 200,
    headers: {},
    body: Buffer.from(JSON.stringify({ success: true, data: chat })),
    usage: null,
    model: chat.model,
    failure: null,
    responseId: "",
    finishReasons: [],
  });
}
