import type { RequestBodies } from "@switchyard/events";
import { headerValue } from "../../http/portkey-headers.ts";
import type { RequestContext } from "../context.ts";
import type { ControlLookup } from "../control-lookup.ts";
import { type Reply, transformStream } from "../reply.ts";
import { type AttemptStage, type RequestStage, thenNext } from "../stage.ts";
import { StreamAssembler, truncationMarker } from "../stream-assembler.ts";

/** Prompt/answer logging (Portkey's request logs): on by default, off per tenant or per request. */
export interface BodyCaptureSettings {
  enabled: boolean;
  /** Most characters kept of each body; the rest is cut with a visible marker. */
  maxChars: number;
  /** Tenants whose bodies are never stored (SWITCHYARD_LOG_BODIES_DISABLED_TENANTS); a tenant's own `log_bodies: false` also opts out. */
  disabledTenants: ReadonlySet<string>;
}

export const DEFAULT_BODY_CAPTURE: BodyCaptureSettings = {
  enabled: true,
  maxChars: 65_536,
  disabledTenants: new Set(),
};

type TenantLookup = Pick<ControlLookup, "tenant">;

function capped(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  return { text: text.slice(0, maxChars) + truncationMarker(text.length), truncated: true };
}

/**
 * Whether this request's bodies are stored: the tenant may opt out (the env list, or its control-plane
 * setting `log_bodies: false`, live on every replica), and `x-portkey-debug: false` opts a request out.
 */
function captures(ctx: RequestContext, settings: BodyCaptureSettings, control: TenantLookup | undefined): boolean {
  if (!settings.enabled) return false;
  if (ctx.principal) {
    const tenantId = ctx.principal.tenantId;
    if (settings.disabledTenants.has(tenantId)) return false;
    if (control?.tenant(tenantId)?.state.log_bodies === false) return false;
  }
  return headerValue(ctx.headers, "x-portkey-debug")?.trim().toLowerCase() !== "false";
}

function jsonAnswer(reply: Reply & { kind: "json" }, maxChars: number): { text: string; truncated: boolean } {
  const { result } = reply;
  if (result.contentType && !/^(application\/json|text\/)/.test(result.contentType)) {
    return { text: `[${result.contentType} answer not captured]`, truncated: false };
  }
  // Decoding only what is kept (plus a little): a large embeddings list is never turned into one big string.
  const head = result.body.subarray(0, maxChars * 4).toString("utf8");
  const whole = head.length <= maxChars && result.body.length <= maxChars * 4;
  if (whole) return { text: head, truncated: false };
  return { text: head.slice(0, maxChars) + truncationMarker(result.body.length), truncated: true };
}

function requestText(body: unknown, maxChars: number): { text: string; truncated: boolean } {
  return capped(JSON.stringify(body) ?? "", maxChars);
}

/** The prompt alone (no answer): what an attempt sent, else the parsed request. */
function storePrompt(ctx: RequestContext, settings: BodyCaptureSettings): void {
  if (ctx.outcome.bodies !== null || ctx.request === null) return;
  const { text, truncated } = requestText(ctx.request, settings.maxChars);
  ctx.outcome.bodies = { request: text, response: "", truncated };
}

/**
 * Request stage (after record-outcome): decides whether the request's bodies are stored, captures the
 * answer as the client gets it (a stream assembled as it is relayed), and writes `ctx.outcome.bodies`.
 * The prompt is the attempt's own body (captureAttemptBody: after guardrail redaction and override_params,
 * what went upstream); a request that never reached an attempt stores the parsed request instead.
 * Bodies go only into the event, never into metrics or spans.
 */
export function captureBodies(
  settings: BodyCaptureSettings = DEFAULT_BODY_CAPTURE,
  control?: TenantLookup,
): RequestStage {
  return {
    name: "capture-bodies",
    run(ctx, next) {
      // A refusal (a denied guardrail, a limit, a bad request): the prompt is still worth showing.
      const refused = (error: unknown): never => {
        if (captures(ctx, settings, control)) storePrompt(ctx, settings);
        throw error;
      };
      return thenNext(next, (reply) => captured(ctx, reply, settings, control), refused);
    },
  };
}

/** The answer as the client gets it, with the prompt, into `outcome.bodies` (a stream as it is relayed). */
function captured(
  ctx: RequestContext,
  reply: Reply,
  settings: BodyCaptureSettings,
  control: TenantLookup | undefined,
): Reply {
  if (!captures(ctx, settings, control)) return reply;
  const sent = ctx.outcome.bodies;
  const prompt = sent
    ? { text: sent.request, truncated: sent.truncated }
    : ctx.request === null
      ? null
      : requestText(ctx.request, settings.maxChars);
  const store = (answer: { text: string; truncated: boolean }) => {
    ctx.outcome.bodies = {
      request: prompt?.text ?? "",
      response: answer.text,
      truncated: (prompt?.truncated ?? false) || answer.truncated,
    };
  };
  if (reply.kind === "json") {
    store(jsonAnswer(reply, settings.maxChars));
    return reply;
  }
  const assembler = new StreamAssembler(settings.maxChars);
  store({ text: "", truncated: false });
  return transformStream(reply, {
    chunk(chunk) {
      assembler.add(chunk);
      return chunk;
    },
    end() {
      store(assembler.finish());
    },
    error(error) {
      store(assembler.finish());
      return error;
    },
  });
}

/**
 * Attempt stage (innermost before the cache, after guardrails): records the body this attempt sends, so the
 * stored prompt is what went upstream after redaction. The last attempt's body wins (the one that answered).
 */
export function captureAttemptBody(
  settings: BodyCaptureSettings = DEFAULT_BODY_CAPTURE,
  control?: TenantLookup,
): AttemptStage {
  return {
    name: "capture-attempt-body",
    run(attempt, next) {
      if (captures(attempt.request, settings, control)) {
        const { text, truncated } = requestText(attempt.body, settings.maxChars);
        attempt.request.outcome.bodies = { request: text, response: "", truncated } satisfies RequestBodies;
      }
      return next();
    },
  };
}
