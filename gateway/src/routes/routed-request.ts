import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import { GatewayError } from "../errors.ts";
import {
  type HeaderBag,
  headerValue,
  isPlaceholderKey,
  metadataFrom,
  providerKeyFrom,
  traceIdFrom,
} from "../http/portkey-headers.ts";
import { authenticate } from "../pipeline/authenticate.ts";
import { newOutcome, type RequestContext, type RequestOutcome } from "../pipeline/context.ts";
import { type PreparedTarget, prepareTargets } from "../pipeline/prepare-targets.ts";
import { buildRequestEvent } from "../pipeline/request-event.ts";
import type { CompletionResult, Provider, ProviderTarget, StreamChunk } from "../providers/provider.ts";
import { NoRouteError, productionRouterDeps, type RouteResult, routeRequest } from "../routing/index.ts";
import {
  type ChatRequestLike,
  type RequestTelemetry,
  requestEndFromEvent,
  type StreamChunkFacts,
  upstreamServer,
} from "../telemetry/index.ts";
import type { AttemptValue } from "./attempt-value.ts";
import { discardAttempt, eventAttempts } from "./attempt-value.ts";
import type { ChatRouteDeps } from "./chat-completions.ts";

/**
 * The request path shared by the endpoints beyond chat (/v1/embeddings, /v1/completions,
 * /v1/messages): the same stages as /v1/chat/completions — auth, route plan (Portkey config,
 * virtual keys), prepared targets, router (retry/fallback/breaker), provider — and exactly one
 * RequestEvent per request with its endpoint. An endpoint supplies only what differs: how its
 * body is read, which providers offer it, the per-attempt call, and how answers are rendered.
 */
export interface RoutedEndpoint<Req> {
  endpoint: string;
  /** gen_ai.operation.name for the request span: "chat", "embeddings", "text_completion". */
  operation: string;
  parse(body: unknown): Req;
  /** What the event records as the request (model, stream). */
  describe(req: Req): { model: string; stream: boolean; user: string | null };
  /** null when the provider offers this endpoint, else why not (checked for every target before any call). */
  unsupported(provider: Provider): string | null;
  /** One upstream attempt with the leaf's override_params already applied. */
  call(provider: Provider, req: Req, target: ProviderTarget, signal: AbortSignal): Promise<AttemptValue>;
  /** Adjusts the prepared targets (e.g. /v1/messages accepts thinking blocks). */
  target?(target: ProviderTarget): ProviderTarget;
  /** Renders a JSON result (success or upstream error). Default: as the provider shaped it (OpenAI). */
  renderJson?(result: CompletionResult, req: Req): RenderedJson;
  /** Renders a gateway error (default: the OpenAI error body via the global handler). */
  renderError?(error: GatewayError): object;
  /** Encodes the stream for the client. */
  streamEncoder(req: Req): StreamEncoder;
  /**
   * A native credential header (Anthropic's x-api-key): a known gateway key there authenticates
   * the caller; anything else is the provider key when Authorization carries none.
   */
  apiKeyHeader?: string;
}

/**
 * A JSON answer as the client gets it, with the id and finish reasons it carries: handed to
 * telemetry so the request span need not re-read the body (see CompletionResult.responseId).
 */
export type RenderedJson = Pick<CompletionResult, "body" | "responseId" | "finishReasons">;

export interface StreamEncoder {
  /** SSE text for one chunk ("" to send nothing). */
  chunk(chunk: StreamChunk): string;
  /**
   * The chunk's facts as this encoding shows them to the client, for telemetry (the span reports the
   * id and finish reasons the client got, as renderJson does). Absent: the chunk's own.
   */
  facts?(chunk: StreamChunk): StreamChunkFacts;
  /** SSE text that ends a complete stream. */
  end(outcome: RequestOutcome): string;
  /** SSE text that ends a stream the upstream cut. */
  error(message: string): string;
}

/** The OpenAI SSE encoding (chat.completion.chunk / text_completion): `data: …`, `[DONE]`, an error event. */
export function openAIStreamEncoder(clientWantsUsage: boolean): StreamEncoder {
  return {
    chunk: (chunk) => (chunk.usageOnly && !clientWantsUsage ? "" : `data: ${chunk.data}\n\n`),
    end: () => "data: [DONE]\n\n",
    error: (message) =>
      `data: ${JSON.stringify({ error: { message, type: "api_error", param: null, code: "stream_interrupted" } })}\n\n`,
  };
}

export function handleRouted<Req>(spec: RoutedEndpoint<Req>, deps: ChatRouteDeps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      await routed(spec, deps, request, reply);
    } catch (error) {
      if (spec.renderError && error instanceof GatewayError && !reply.sent && !reply.raw.headersSent) {
        reply.code(error.status).type("application/json").send(spec.renderError(error));
        return;
      }
      throw error;
    }
  };
}

async function routed<Req>(
  spec: RoutedEndpoint<Req>,
  deps: ChatRouteDeps,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const headers: HeaderBag = request.headers;
  // Continues an incoming W3C traceparent; never throws (a malformed one starts a fresh trace).
  const telemetry = deps.telemetry.startRequest({
    operation: spec.operation,
    incomingHeaders: request.headers,
    startedAt: request.startedAt,
  });
  const traceId = traceIdFrom(headers) ?? deps.newTraceId();
  reply.header("x-portkey-trace-id", traceId);
  const nativeKey = spec.apiKeyHeader ? headerValue(headers, spec.apiKeyHeader)?.trim() || undefined : undefined;
  const { principal, gatewayKey } = authenticate(headers, deps.keys, nativeKey);
  // A native credential that did not authenticate the caller is the provider key (unless x-portkey-api-key is set).
  const nativeProviderKey =
    nativeKey !== undefined &&
    nativeKey !== gatewayKey &&
    headerValue(headers, "x-portkey-api-key") === undefined &&
    !isPlaceholderKey(nativeKey)
      ? nativeKey
      : null;
  const ctx: RequestContext = {
    startedAt: request.startedAt,
    occurredAt: new Date(),
    endpoint: spec.endpoint,
    traceId,
    principal,
    metadata: {},
    user: null,
    outcome: newOutcome(),
    route: null,
    otel: telemetry.traceIds(),
  };
  const abort = new AbortController();
  let response: RenderedJson | null = null;
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
    const event = buildRequestEvent(ctx, performance.now(), deps.eventEnv);
    telemetry.end(
      requestEndFromEvent(event, {
        responseBody: response?.body ?? null,
        responseId: response?.responseId ?? null,
        finishReasons: response?.finishReasons ?? null,
      }),
    );
    // The record headers carry the trace context, so ingest's consumer span links back to this request.
    deps.sink.emit(event, telemetry.recordHeaders());
  });

  try {
    ctx.metadata = metadataFrom(headers);
    const body = spec.parse(request.body);
    const described = spec.describe(body);
    telemetry.setRequest(body as ChatRequestLike);
    ctx.user = ctx.metadata._user ?? described.user;
    const providerKey = providerKeyFrom(headers, gatewayKey) ?? nativeProviderKey;
    const plan = deps.planRoute(headers, principal.tenantId, providerKey);
    ctx.route = { modelRequested: described.model, configId: plan.configId, stream: described.stream };
    const targets = await prepareTargets(
      plan.root,
      principal.tenantId,
      headers,
      deps.control,
      deps.customHosts,
      deps.providers,
    );
    for (const [path, prepared] of targets) {
      const why = spec.unsupported(deps.providers[prepared.providerId]);
      if (why)
        throw new GatewayError("invalid_request", why, path === "config" ? "x-portkey-provider" : `${path}.provider`);
      if (spec.target) prepared.target = spec.target(prepared.target);
    }
    reply.header("x-portkey-cache-status", ctx.outcome.cacheStatus);
    const models = new Map<string, string>();
    const tries = new Map<string, number>();
    ctx.outcome.upstreamStartedAt = performance.now();
    const result = await routeRequest<AttemptValue>(
      plan.root,
      { metadata: ctx.metadata, params: body as Record<string, unknown>, pathname: spec.endpoint },
      async (leaf, signal) => {
        const prepared = targets.get(leaf.path);
        if (!prepared) throw new Error(`no prepared target for ${leaf.path}`);
        const req = { ...body, ...leaf.overrideParams } as Req;
        const model = spec.describe(req).model;
        models.set(leaf.path, model);
        const retry = tries.get(leaf.path) ?? 0;
        tries.set(leaf.path, retry + 1);
        const provider = deps.providers[prepared.providerId];
        const attempt = telemetry.attempt({
          provider: prepared.providerId,
          model,
          ...upstreamServer(provider.upstreamUrl?.(prepared.target) ?? prepared.target.customHost),
          targetPath: leaf.path,
          retry,
        });
        // traceparent naming this attempt's span travels to the upstream with the forwarded headers.
        const target = {
          ...prepared.target,
          forwardHeaders: attempt.injectHeaders({ ...prepared.target.forwardHeaders }),
        };
        let value: AttemptValue;
        try {
          value = await spec.call(provider, req, target, signal);
        } catch (error) {
          attempt.end(
            signal.aborted ? { status: 499, errorType: "aborted" } : { status: 502, errorType: "network_error" },
          );
          throw error;
        }
        const errorType = value.kind === "json" ? (value.result.failure?.type ?? null) : null;
        const status = value.kind === "json" ? value.result.status : value.status;
        attempt.end({ status, errorType });
        return {
          status,
          headers: value.kind === "json" ? value.result.headers : value.headers,
          value,
          errorType,
        };
      },
      productionRouterDeps(deps.breakers, abort.signal, { discard: discardAttempt }),
    ).catch((error: unknown) => {
      if (error instanceof NoRouteError) throw new GatewayError("no_route_matched", error.message, "x-portkey-config");
      throw error;
    });
    recordRoute(ctx, result, targets, models, described.model);
    reply.header("x-portkey-provider", ctx.outcome.provider ?? "");
    reply.header("x-portkey-retry-attempt-count", String(result.retryCount));
    reply.header("x-portkey-last-used-option-index", result.leaf.path);
    response = await respond(spec, body, ctx, result, reply, telemetry);
  } catch (error) {
    recordFailure(ctx, error);
    throw error;
  }
}

function recordRoute(
  ctx: RequestContext,
  result: RouteResult<AttemptValue>,
  targets: ReadonlyMap<string, PreparedTarget>,
  models: Map<string, string>,
  model: string,
): void {
  const o = ctx.outcome;
  const final = targets.get(result.leaf.path);
  o.attempts = eventAttempts(result.attempts, targets, models, model);
  o.provider = final?.providerId ?? result.leaf.provider;
  o.targetPath = result.leaf.path;
  o.virtualKeyId = final?.virtualKeyId ?? null;
  o.retryCount = result.retryCount;
}

async function respond<Req>(
  spec: RoutedEndpoint<Req>,
  body: Req,
  ctx: RequestContext,
  result: RouteResult<AttemptValue>,
  reply: FastifyReply,
  telemetry: RequestTelemetry,
): Promise<RenderedJson | null> {
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
    const r = value.result;
    const o = ctx.outcome;
    o.upstreamEndedAt = performance.now();
    o.statusCode = r.status;
    o.usage = r.usage;
    o.modelUsed = r.model;
    o.errorType = r.failure?.type ?? null;
    o.errorMessage = r.failure?.message ?? null;
    const rendered = spec.renderJson ? spec.renderJson(r, body) : r;
    reply.code(r.status).headers(r.headers).type("application/json").send(rendered.body);
    return rendered;
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
  await relay(raw, value.chunks, ctx.outcome, spec.streamEncoder(body), telemetry);
  return null;
}

/**
 * Relays chunk by chunk as they arrive (no buffering, no delay); a stream the upstream cuts ends
 * with the endpoint's error event, never its clean end.
 */
async function relay(
  raw: ServerResponse,
  chunks: AsyncIterable<StreamChunk>,
  outcome: RequestOutcome,
  encoder: StreamEncoder,
  telemetry: RequestTelemetry,
) {
  try {
    for await (const chunk of chunks) {
      if (raw.destroyed) return;
      if (chunk.usage !== null) outcome.usage = chunk.usage;
      if (chunk.model !== null) outcome.modelUsed = chunk.model;
      // The provider's facts as given: telemetry does not parse the chunk again.
      if (telemetry.recording) telemetry.streamChunk(encoder.facts ? encoder.facts(chunk) : chunk);
      const text = encoder.chunk(chunk);
      if (text === "") continue;
      if (outcome.firstChunkAt === null) {
        outcome.firstChunkAt = performance.now();
        telemetry.firstToken();
      }
      if (!raw.write(text)) await once(raw, "drain");
    }
    outcome.upstreamEndedAt = performance.now();
    raw.end(encoder.end(outcome));
  } catch (error) {
    outcome.upstreamEndedAt = performance.now();
    if (raw.destroyed) return;
    const message = (error as Error).message || "upstream stream failed";
    outcome.errorType = "stream_interrupted";
    outcome.errorMessage = message;
    outcome.statusCode = 502;
    raw.end(encoder.error(message));
  }
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

/** A body validation failure as a 400 naming the first bad path. */
export function invalidBody(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): GatewayError {
  const first = issues[0];
  const param = first ? first.path.map(String).join(".") || null : null;
  const message = issues.map((i) => `${i.path.map(String).join(".") || "body"}: ${i.message}`).join("; ");
  return new GatewayError("invalid_request", message, param);
}

/** A JSON CompletionResult as the router's attempt value. */
export function jsonValue(result: CompletionResult): AttemptValue {
  return { kind: "json", result };
}
