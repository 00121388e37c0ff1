import type { KeyStore } from "@switchyard/platform";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { GatewayError } from "../errors.ts";
import { metadataFrom, traceIdFrom } from "../http/portkey-headers.ts";
import { authenticate } from "../pipeline/authenticate.ts";
import { newOutcome, type RequestContext, type RouteDecision } from "../pipeline/context.ts";
import type { ControlLookup } from "../pipeline/control-lookup.ts";
import type { CustomHostGuard } from "../pipeline/custom-host-guard.ts";
import type { EventSink } from "../pipeline/emit.ts";
import type { RoutePlanner } from "../pipeline/plan-route.ts";
import { prepareTargets } from "../pipeline/prepare-targets.ts";
import { buildRequestEvent, type EventEnvironment } from "../pipeline/request-event.ts";
import { providerKeyFrom } from "../pipeline/resolve-target.ts";
import type { CompletionResult } from "../providers/provider.ts";
import type { ProviderRegistry } from "../providers/registry.ts";
import {
  type CircuitBreakers,
  NoRouteError,
  productionRouterDeps,
  type RouteResult,
  routeRequest,
} from "../routing/index.ts";
import { ChatCompletionRequest } from "../schemas/chat.ts";
import { type AttemptValue, attemptExecutor, discardAttempt, eventAttempts } from "./chat-attempt.ts";
import { relayStream } from "./upstream-stream.ts";

export interface ChatRouteDeps {
  keys: KeyStore;
  providers: ProviderRegistry;
  sink: EventSink;
  eventEnv: EventEnvironment;
  newTraceId: () => string;
  control: ControlLookup;
  planRoute: RoutePlanner;
  customHosts: CustomHostGuard;
  breakers: CircuitBreakers;
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
    const body = parseBody(request.body);
    ctx.user = ctx.metadata._user ?? body.user ?? null;
    const plan = deps.planRoute(headers, principal.tenantId, providerKeyFrom(headers, gatewayKey));
    const route: RouteDecision = {
      request: body,
      configId: plan.configId,
      stream: body.stream === true,
      clientWantsUsage: body.stream_options?.include_usage === true,
    };
    ctx.route = route;
    const targets = await prepareTargets(
      plan.root,
      principal.tenantId,
      headers,
      deps.control,
      deps.customHosts,
      deps.providers,
    );
    reply.header("x-portkey-cache-status", ctx.outcome.cacheStatus);

    const models = new Map<string, string>();
    ctx.outcome.upstreamStartedAt = performance.now();
    const result = await routeRequest<AttemptValue>(
      plan.root,
      { metadata: ctx.metadata, params: body, pathname: ENDPOINT },
      attemptExecutor({ request: body, stream: route.stream, targets, providers: deps.providers }, models),
      productionRouterDeps(deps.breakers, abort.signal, { discard: discardAttempt }),
    ).catch((error: unknown) => {
      if (error instanceof NoRouteError) throw new GatewayError("no_route_matched", error.message, "x-portkey-config");
      throw error;
    });
    recordRoute(ctx, result, targets, models);
    reply.header("x-portkey-provider", ctx.outcome.provider ?? "");
    reply.header("x-portkey-retry-attempt-count", String(result.retryCount));
    reply.header("x-portkey-last-used-option-index", result.leaf.path);
    await respond(ctx, result, reply);
  } catch (error) {
    recordFailure(ctx, error);
    throw error;
  }
}

function parseBody(body: unknown): ChatCompletionRequest {
  const parsed = ChatCompletionRequest.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue ? issue.path.join(".") || null : null;
  const message = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
  throw new GatewayError("invalid_request", message, param);
}

function recordRoute(
  ctx: RequestContext,
  result: RouteResult<AttemptValue>,
  targets: Parameters<typeof eventAttempts>[1],
  models: Map<string, string>,
): void {
  const o = ctx.outcome;
  const final = targets.get(result.leaf.path);
  o.attempts = eventAttempts(result.attempts, targets, models, ctx.route?.request.model ?? "");
  o.provider = final?.providerId ?? result.leaf.provider;
  o.targetPath = result.leaf.path;
  o.virtualKeyId = final?.virtualKeyId ?? null;
  o.retryCount = result.retryCount;
}

async function respond(ctx: RequestContext, result: RouteResult<AttemptValue>, reply: FastifyReply): Promise<void> {
  const outcome = result.outcome;
  if (outcome.kind === "failure") {
    ctx.outcome.upstreamEndedAt = performance.now();
    if (outcome.cause instanceof GatewayError) throw outcome.cause;
    const code = ({ timeout: "request_timeout", circuit_open: "circuit_open" } as const)[
      outcome.errorType as "timeout" | "circuit_open"
    ];
    throw new GatewayError(code ?? "upstream_unreachable", outcome.message);
  }
  const value = outcome.value;
  if (value.kind === "json") {
    applyJson(ctx, value.result);
    reply.code(value.result.status).headers(value.result.headers).type("application/json").send(value.result.body);
    return;
  }
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(value.status, {
    ...(reply.getHeaders() as Record<string, string>),
    ...value.headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  raw.flushHeaders();
  await relayStream(raw, value.chunks, ctx.outcome, ctx.route?.clientWantsUsage ?? false);
}

function applyJson(ctx: RequestContext, result: CompletionResult): void {
  const o = ctx.outcome;
  o.upstreamEndedAt = performance.now();
  o.statusCode = result.status;
  o.usage = result.usage;
  o.modelUsed = result.model;
  o.errorType = result.failure?.type ?? null;
  o.errorMessage = result.failure?.message ?? null;
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
}
