import type { KeyStore } from "@switchyard/platform";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { GatewayError } from "../errors.ts";
import { metadataFrom, traceIdFrom } from "../http/portkey-headers.ts";
import { authenticate } from "../pipeline/authenticate.ts";
import { newOutcome, type RequestContext, type RouteDecision } from "../pipeline/context.ts";
import type { EventSink } from "../pipeline/emit.ts";
import { buildRequestEvent, type EventEnvironment } from "../pipeline/request-event.ts";
import { resolveTarget } from "../pipeline/resolve-target.ts";
import type { CompletionResult, UpstreamCall } from "../providers/provider.ts";
import type { ProviderRegistry } from "../providers/registry.ts";
import { ChatCompletionRequest } from "../schemas/chat.ts";
import { relayStream } from "./upstream-stream.ts";

export interface ChatRouteDeps {
  keys: KeyStore;
  providers: ProviderRegistry;
  sink: EventSink;
  eventEnv: EventEnvironment;
  newTraceId: () => string;
}

const ENDPOINT = "/v1/chat/completions";

export function registerChatCompletions(app: FastifyInstance, deps: ChatRouteDeps): void {
  app.post(ENDPOINT, (request, reply) => handleChat(request, reply, deps));
}

async function handleChat(request: FastifyRequest, reply: FastifyReply, deps: ChatRouteDeps): Promise<void> {
  const headers = request.headers;
  const traceId = traceIdFrom(headers) ?? deps.newTraceId();
  reply.header("x-portkey-trace-id", traceId);
  const { principal, gatewayKey } = authenticate(headers, deps.keys);

  const ctx: RequestContext = {
    startedAt: request.startedAt,
    occurredAt: new Date(),
    endpoint: ENDPOINT,
    traceId,
    principal,
    metadata: {},
    user: null,
    outcome: newOutcome(),
    route: null,
  };
  const abort = new AbortController();
  // From here on the request is admitted: exactly one event is emitted, once the response is over.
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) {
      abort.abort();
      if (ctx.outcome.errorType === null) {
        ctx.outcome.statusCode = 499;
        ctx.outcome.errorType = "client_disconnected";
        ctx.outcome.errorMessage = "the client closed the connection before the response completed";
      }
    }
    deps.sink.emit(buildRequestEvent(ctx, performance.now(), deps.eventEnv));
  });

  try {
    ctx.metadata = metadataFrom(headers);
    const parsedBody = parseBody(request.body);
    ctx.user = ctx.metadata._user ?? parsedBody.user ?? null;
    const { providerId, target } = resolveTarget(headers, gatewayKey);
    const route: RouteDecision = {
      providerId,
      target,
      request: parsedBody,
      stream: parsedBody.stream === true,
      clientWantsUsage: parsedBody.stream_options?.include_usage === true,
    };
    ctx.route = route;
    reply.header("x-portkey-provider", providerId);
    reply.header("x-portkey-retry-attempt-count", "0");
    reply.header("x-portkey-cache-status", ctx.outcome.cacheStatus);
    await (route.stream
      ? serveStream(ctx, route, reply, deps, abort.signal)
      : serveJson(ctx, route, reply, deps, abort.signal));
  } catch (error) {
    recordFailure(ctx, error);
    throw error;
  }
}

function parseBody(body: unknown) {
  const parsed = ChatCompletionRequest.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue ? issue.path.join(".") || null : null;
  const message = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
  throw new GatewayError("invalid_request", message, param);
}

function recordAttempt(ctx: RequestContext, route: RouteDecision, status: number, errorType: string | null): void {
  const o = ctx.outcome;
  o.attempts.push({
    provider: route.providerId,
    model: o.modelUsed ?? route.request.model,
    status_code: status,
    latency_ms:
      Math.round(((o.upstreamEndedAt ?? performance.now()) - (o.upstreamStartedAt ?? ctx.startedAt)) * 1000) / 1000,
    error_type: errorType,
    target_path: "config",
  });
}

function applyResult(ctx: RequestContext, route: RouteDecision, result: CompletionResult): void {
  const o = ctx.outcome;
  o.upstreamEndedAt = performance.now();
  o.statusCode = result.status;
  o.usage = result.usage;
  o.modelUsed = result.model;
  o.errorType = result.failure?.type ?? null;
  o.errorMessage = result.failure?.message ?? null;
  recordAttempt(ctx, route, result.status, o.errorType);
}

function upstreamCall(route: RouteDecision, signal: AbortSignal): UpstreamCall {
  return { request: route.request, target: route.target, signal };
}

function sendResult(reply: FastifyReply, result: CompletionResult): void {
  reply.code(result.status).headers(result.headers).type("application/json").send(result.body);
}

async function serveJson(
  ctx: RequestContext,
  route: RouteDecision,
  reply: FastifyReply,
  deps: ChatRouteDeps,
  signal: AbortSignal,
): Promise<void> {
  ctx.outcome.upstreamStartedAt = performance.now();
  const result = await deps.providers[route.providerId].complete(upstreamCall(route, signal));
  applyResult(ctx, route, result);
  sendResult(reply, result);
}

async function serveStream(
  ctx: RequestContext,
  route: RouteDecision,
  reply: FastifyReply,
  deps: ChatRouteDeps,
  signal: AbortSignal,
): Promise<void> {
  ctx.outcome.upstreamStartedAt = performance.now();
  const opened = await deps.providers[route.providerId].stream(upstreamCall(route, signal));
  if (!opened.ok) {
    applyResult(ctx, route, opened.result);
    sendResult(reply, opened.result);
    return;
  }
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(opened.status, {
    ...(reply.getHeaders() as Record<string, string>),
    ...opened.headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  raw.flushHeaders();
  await relayStream(raw, opened.chunks, ctx.outcome, route.clientWantsUsage);
  recordAttempt(ctx, route, ctx.outcome.statusCode, ctx.outcome.errorType);
}

function recordFailure(ctx: RequestContext, error: unknown): void {
  const o = ctx.outcome;
  if (error instanceof GatewayError) {
    o.statusCode = error.status;
    o.errorType = error.code;
    o.errorMessage = error.message;
  } else if (!(error instanceof Error && error.name === "AbortError")) {
    o.statusCode = 500;
    o.errorType = "internal_error";
    o.errorMessage = "internal gateway error";
  }
  if (ctx.route && o.upstreamStartedAt !== null && o.attempts.length === 0) {
    o.upstreamEndedAt = performance.now();
    recordAttempt(ctx, ctx.route, o.statusCode, o.errorType);
  }
}
