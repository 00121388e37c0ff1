import type { Principal } from "@switchyard/platform";
import type { HeaderBag } from "../http/portkey-headers.ts";
import type { RequestTelemetry } from "../telemetry/index.ts";
import type { EndpointSpec, RenderedJson, StreamEncoder } from "./endpoint.ts";
import { newOutcome, type RequestOutcome } from "./outcome.ts";

import type { RoutePlan } from "./plan-route.ts";
import type { PreparedTarget } from "./prepare-targets.ts";

/**
 * One request as it passes the stages (README.md in this folder lists who writes what). Fields
 * start empty and are filled by the stage that owns them; a stage reads only what the stages
 * before it have written. `Req` is the endpoint's parsed request type.
 */
export interface RequestContext<Req = unknown> {
  readonly endpoint: EndpointSpec<Req>;
  /** The client's HTTP headers, as received. */
  readonly headers: HeaderBag;
  /** The body as fastify parsed it (JSON), before the endpoint's schema has read it. */
  readonly rawBody: unknown;
  /** performance.now() when the request arrived; all *_ms fields are measured from it. */
  readonly startedAt: number;
  readonly occurredAt: Date;
  /** Aborted when the client goes away: every upstream call and stream listens to it. */
  readonly signal: AbortSignal;
  /** Headers for the client's response, whatever the answer (trace id, provider, …). */
  readonly responseHeaders: Record<string, string>;

  /** trace-request: the request span (null only before that stage ran). */
  telemetry: RequestTelemetry | null;
  /** trace-request: the Portkey-style trace id (x-portkey-trace-id). */
  traceId: string;
  /** trace-request: OpenTelemetry ids (the application's trace when it sent a traceparent). */
  otel: { otelTraceId: string | null; otelSpanId: string | null };
  /** authenticate: the tenant and key; null until then. */
  principal: Principal | null;
  /** authenticate: the raw value that authenticated the caller (never a provider key). */
  gatewayKey: string | undefined;
  /** parse-request: the endpoint's validated request; stages after it may rewrite it. */
  request: Req | null;
  /** parse-request */
  metadata: Record<string, string>;
  user: string | null;
  route: RouteDecision | null;
  /** plan-route */
  plan: RoutePlan | null;
  /** prepare-targets: every leaf of the plan, checked, keyed by its path. */
  targets: ReadonlyMap<string, PreparedTarget> | null;
  /** The facts the event is built from; written by record-outcome and route. */
  outcome: RequestOutcome;
  /** The JSON body as the client got it (set by the transport), for the request span. */
  rendered: RenderedJson | null;
  /** The stream's encoder, one per request (it keeps state across chunks): see streamEncoderOf. */
  encoder: StreamEncoder | null;
  /**
   * Set at admission (emit-event): records the request now — builds its event and hands it to
   * durable storage — and resolves once it is there. The transport awaits it before the last byte
   * of any answer it writes, so an answer that reached the client in full is never lost to a crash.
   */
  seal: (() => Promise<void> | void) | null;
  /** Called once when the response is over (complete, failed or abandoned), sealed or not. */
  readonly finishers: Array<() => void>;
}

/** A context whose request has been parsed: what the stages after parse-request see. */
export type ParsedContext<Req> = RequestContext<Req> & { request: Req; principal: Principal; route: RouteDecision };

export interface RouteDecision {
  /** The model the client asked for (before any override_params). */
  modelRequested: string;
  /** Saved config id (`pc-…`) when the request used one. */
  configId: string | null;
  stream: boolean;
}

export interface ContextStart<Req> {
  endpoint: EndpointSpec<Req>;
  headers: HeaderBag;
  rawBody: unknown;
  startedAt: number;
  signal: AbortSignal;
}

export function newRequestContext<Req>(start: ContextStart<Req>): RequestContext<Req> {
  return {
    ...start,
    occurredAt: new Date(),
    responseHeaders: {},
    telemetry: null,
    traceId: "",
    otel: { otelTraceId: null, otelSpanId: null },
    principal: null,
    gatewayKey: undefined,
    request: null,
    metadata: {},
    user: null,
    route: null,
    plan: null,
    targets: null,
    outcome: newOutcome(),
    rendered: null,
    encoder: null,
    seal: null,
    finishers: [],
  };
}

/** Narrows a context after parse-request; a stage placed before it that calls this is a wiring bug. */
export function parsed<Req>(ctx: RequestContext<Req>): ParsedContext<Req> {
  if (ctx.request === null || ctx.principal === null || ctx.route === null) {
    throw new Error("pipeline: this stage must run after authenticate and parse-request");
  }
  return ctx as ParsedContext<Req>;
}

/** The request's stream encoder, made once: the transport writes with it and the span reads its facts. */
export function streamEncoderOf<Req>(ctx: RequestContext<Req>, request: Req): StreamEncoder {
  ctx.encoder ??= ctx.endpoint.streamEncoder(request);
  return ctx.encoder;
}
