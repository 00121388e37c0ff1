import {
  Attr,
  type Attributes,
  activeTelemetry,
  BoundedValues,
  Buckets,
  type Context,
  extractContext,
  genAiProviderName,
  type HeaderRecord,
  type Histogram,
  type HrTime,
  injectTraceHeaders,
  Metrics,
  ROOT_CONTEXT,
  Scopes,
  type Span,
  SpanKind,
  SpanNames,
  SpanStatusCode,
  type Telemetry,
  TRACEPARENT,
  TRACESTATE,
  type Tracer,
  trace,
  traceHeadersFor,
  traceIdOfTraceparent,
  Values,
} from "@switchyard/platform";
import { type ChatRequestLike, inputMessages, requestAttributes, responseFacts, StreamFacts } from "./genai-content.ts";
import { TalliedCounter } from "./tallied-counter.ts";
import type {
  AttemptEnd,
  AttemptStart,
  AttemptTelemetry,
  ChildSpan,
  GatewayTelemetry,
  RequestEnd,
  RequestStart,
  RequestTelemetry,
  TraceIds,
} from "./types.ts";

/** Distinct values a metric label may take before later newcomers are reported as _OTHER. */
const LABEL_LIMITS = { models: 500, providers: 100, servers: 200, errorTypes: 200 } as const;

interface Counter {
  add(value: number, attributes: Attributes): void;
}

/** Instruments and label bounds shared by every request of one gateway. */
interface Instruments {
  duration: Histogram;
  tokens: Histogram;
  timeToFirstChunk: Histogram;
  requests: Counter;
  attempts: Counter;
  errors: Counter;
  cost: Counter;
  cacheLookups: Counter;
  models: BoundedValues;
  providers: BoundedValues;
  servers: BoundedValues;
  errorTypes: BoundedValues;
}

/**
 * The gateway's spans and metrics (see README.md here for where the route and router call it).
 * Built once per gateway from the process' Telemetry (startTelemetry in main, or a test's).
 */
export function createGatewayTelemetry(telemetry: Telemetry = activeTelemetry()): GatewayTelemetry {
  const meter = telemetry.meter(Scopes.gateway);
  const instruments: Instruments = {
    duration: meter.createHistogram(Metrics.genAiClientOperationDuration, {
      unit: "s",
      description: "GenAI operation duration",
      advice: { explicitBucketBoundaries: [...Buckets.genAiDurationSeconds] },
    }),
    tokens: meter.createHistogram(Metrics.genAiClientTokenUsage, {
      unit: "{token}",
      description: "Number of input and output tokens used",
      advice: { explicitBucketBoundaries: [...Buckets.genAiTokens] },
    }),
    timeToFirstChunk: meter.createHistogram(Metrics.genAiClientTimeToFirstChunk, {
      unit: "s",
      description: "Time to receive the first chunk of a streaming response",
      advice: { explicitBucketBoundaries: [...Buckets.genAiDurationSeconds] },
    }),
    requests: new TalliedCounter(meter, Metrics.gatewayRequests, {
      unit: "{request}",
      description: "Requests the gateway answered",
    }),
    attempts: new TalliedCounter(meter, Metrics.gatewayAttempts, {
      unit: "{attempt}",
      description: "Upstream attempts, retries and fallbacks included",
    }),
    errors: new TalliedCounter(meter, Metrics.gatewayErrors, {
      unit: "{request}",
      description: "Requests that ended in an error, by error.type",
    }),
    cost: new TalliedCounter(meter, Metrics.gatewayCost, {
      unit: "{nano_usd}",
      description: "Cost of answered requests in nano-USD (1e-9 USD)",
    }),
    cacheLookups: new TalliedCounter(meter, Metrics.gatewayCacheLookups, {
      unit: "{lookup}",
      description: "Cache lookups by switchyard.cache.status",
    }),
    models: new BoundedValues(LABEL_LIMITS.models),
    providers: new BoundedValues(LABEL_LIMITS.providers),
    servers: new BoundedValues(LABEL_LIMITS.servers),
    errorTypes: new BoundedValues(LABEL_LIMITS.errorTypes),
  };
  const tracer = telemetry.tracing ? telemetry.tracer(Scopes.gateway) : null;
  const { propagator, captureContent } = telemetry;
  return {
    tracing: tracer !== null,
    captureContent,
    startRequest(start) {
      if (tracer) {
        const h = start.incomingHeaders;
        const carriesContext = h.traceparent !== undefined || h.baggage !== undefined;
        const parent = propagator && carriesContext ? extractContext(h, propagator) : ROOT_CONTEXT;
        return new RecordingRequest(tracer, parent, start, instruments, captureContent);
      }
      return new MetricsOnlyRequest(start, instruments);
    },
  };
}

function seconds(fromMs: number, toMs: number): number {
  return Math.max(0, toMs - fromMs) / 1000;
}

/** Metric recording shared by both handle kinds: what every request costs, traced or not. */
abstract class RequestMetrics {
  protected readonly operation: string;
  protected requestModel: string | null;
  protected readonly startedAt: number;
  protected readonly instruments: Instruments;
  protected firstChunkAt: number | null = null;
  protected stream = false;
  protected lastServer: { address: string | null; port: number | null } | null = null;
  protected ended = false;

  constructor(start: RequestStart, instruments: Instruments) {
    this.operation = start.operation ?? Values.operationChat;
    this.requestModel = start.requestModel ?? null;
    this.startedAt = start.startedAt ?? performance.now();
    this.instruments = instruments;
  }

  firstToken(): void {
    this.firstChunkAt ??= performance.now();
  }

  protected noteRequest(body: ChatRequestLike): void {
    if (typeof body.model === "string") this.requestModel = body.model;
    this.stream = body.stream === true;
  }

  protected recordAttempt(start: AttemptStart, end: AttemptEnd): void {
    const i = this.instruments;
    const attributes: Attributes = {
      [Attr.genAiOperationName]: this.operation,
      [Attr.genAiProviderName]: i.providers.of(genAiProviderName(start.provider)),
      [Attr.httpResponseStatusCode]: end.status,
    };
    if (end.errorType) attributes[Attr.errorType] = i.errorTypes.of(end.errorType);
    i.attempts.add(1, attributes);
  }

  protected recordMetrics(result: RequestEnd, endedAt: number): void {
    const i = this.instruments;
    const provider = result.provider === null ? null : i.providers.of(genAiProviderName(result.provider));
    const errorType = result.errorType === null ? null : i.errorTypes.of(result.errorType);
    const cacheStatus = result.cacheStatus ?? "DISABLED";
    const requestAttributes: Attributes = {
      [Attr.genAiOperationName]: this.operation,
      [Attr.genAiProviderName]: provider ?? "none",
      [Attr.httpResponseStatusCode]: result.statusCode,
      [Attr.cacheStatus]: cacheStatus,
    };
    if (errorType) requestAttributes[Attr.errorType] = errorType;
    i.requests.add(1, requestAttributes);
    if (errorType) i.errors.add(1, { [Attr.errorType]: errorType, [Attr.genAiProviderName]: provider ?? "none" });
    if (cacheStatus !== "DISABLED") i.cacheLookups.add(1, { [Attr.cacheStatus]: cacheStatus });
    if (provider === null) return; // never reached a model: not a GenAI operation

    const genAi: Attributes = {
      [Attr.genAiOperationName]: this.operation,
      [Attr.genAiProviderName]: provider,
    };
    if (this.requestModel) genAi[Attr.genAiRequestModel] = i.models.of(this.requestModel);
    if (result.responseModel) genAi[Attr.genAiResponseModel] = i.models.of(result.responseModel);
    const address = result.serverAddress ?? this.lastServer?.address ?? null;
    const port = result.serverPort ?? this.lastServer?.port ?? null;
    if (address) genAi[Attr.serverAddress] = i.servers.of(address);
    if (address && port !== null) genAi[Attr.serverPort] = port;
    const withError = errorType ? { ...genAi, [Attr.errorType]: errorType } : genAi;
    i.duration.record(seconds(this.startedAt, endedAt), withError);
    if (this.stream && this.firstChunkAt !== null) {
      i.timeToFirstChunk.record(seconds(this.startedAt, this.firstChunkAt), withError);
    }
    const usage = result.usage;
    if (usage) {
      i.tokens.record(usage.input_tokens, { ...genAi, [Attr.genAiTokenType]: Values.tokenInput });
      i.tokens.record(usage.output_tokens, { ...genAi, [Attr.genAiTokenType]: Values.tokenOutput });
    }
    if (result.costNanoUsd) {
      const costAttributes: Attributes = { [Attr.genAiProviderName]: provider };
      if (genAi[Attr.genAiResponseModel]) costAttributes[Attr.genAiResponseModel] = genAi[Attr.genAiResponseModel];
      i.cost.add(result.costNanoUsd, costAttributes);
    }
  }
}

const NOOP_CHILD: ChildSpan = { end: () => undefined };
const INVALID_SPAN = trace.wrapSpanContext({ traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 0 });

/**
 * Tracing off: no span, no context work; metrics only. An incoming traceparent is still honoured in
 * the cheapest way: its trace id goes into the event (so analytics finds the request by the
 * application's trace id) and it is passed on unchanged to the upstream and the bus record.
 */
class MetricsOnlyRequest extends RequestMetrics implements RequestTelemetry {
  readonly span: Span = INVALID_SPAN;
  readonly context: Context = ROOT_CONTEXT;
  readonly recording = false;
  readonly #headers: HeaderRecord;

  constructor(start: RequestStart, instruments: Instruments) {
    super(start, instruments);
    this.#headers = start.incomingHeaders;
  }

  setRequest(body: ChatRequestLike): void {
    this.noteRequest(body);
  }

  traceIds(): TraceIds {
    return { otelTraceId: traceIdOfTraceparent(this.#headers[TRACEPARENT]), otelSpanId: null };
  }

  injectHeaders(headers: Record<string, string> = {}): Record<string, string> {
    const traceparent = this.#headers[TRACEPARENT];
    const value = Array.isArray(traceparent) ? traceparent[0] : traceparent;
    if (value !== undefined && traceIdOfTraceparent(value) !== null) {
      headers[TRACEPARENT] = value.trim();
      const state = this.#headers[TRACESTATE];
      const stateValue = Array.isArray(state) ? state.join(",") : state;
      if (stateValue) headers[TRACESTATE] = stateValue;
    }
    return headers;
  }

  recordHeaders(): Record<string, string> | undefined {
    const headers = this.injectHeaders();
    return headers[TRACEPARENT] ? headers : undefined;
  }

  attempt(start: AttemptStart): AttemptTelemetry {
    this.lastServer = { address: start.serverAddress ?? null, port: start.serverPort ?? null };
    let ended = false;
    return {
      span: INVALID_SPAN,
      context: ROOT_CONTEXT,
      injectHeaders: (headers = {}) => this.injectHeaders(headers),
      end: (result) => {
        if (ended) return;
        ended = true;
        this.recordAttempt(start, result);
      },
    };
  }

  cacheLookup(): ChildSpan {
    return NOOP_CHILD;
  }

  guardrail(): ChildSpan {
    return NOOP_CHILD;
  }

  streamChunk(): void {}

  end(result: RequestEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.recordMetrics(result, performance.now());
  }
}

/** Tracing on: the request span (kind CLIENT, per the GenAI convention) and its children. */
/** A first try kept as facts until a second try shows it deserves its own span. */
interface PendingAttempt {
  start: AttemptStart;
  startTime: HrTime;
  endTime: HrTime | null;
  result: AttemptEnd | null;
}

/**
 * Wall-clock now as an OTel HrTime, from the clock the SDK stamps spans with (Date.now), so a span
 * created after the fact orders correctly against the spans started live.
 */
function hrNow(): HrTime {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

class RecordingRequest extends RequestMetrics implements RequestTelemetry {
  readonly span: Span;
  readonly context: Context;
  readonly recording: boolean;
  readonly #tracer: Tracer;
  readonly #capture: boolean;
  readonly #open = new Set<Span>();
  #stream: StreamFacts | null = null;
  #attempts = 0;
  #pendingFirst: PendingAttempt | null = null;

  constructor(tracer: Tracer, parent: Context, start: RequestStart, instruments: Instruments, capture: boolean) {
    super(start, instruments);
    this.#tracer = tracer;
    this.#capture = capture;
    const attributes: Attributes = { [Attr.genAiOperationName]: this.operation };
    if (this.requestModel) attributes[Attr.genAiRequestModel] = this.requestModel;
    this.span = tracer.startSpan(
      SpanNames.genAi(this.operation, this.requestModel),
      { kind: SpanKind.CLIENT, attributes, startTime: start.startedAt },
      parent,
    );
    this.context = trace.setSpan(parent, this.span);
    this.recording = this.span.isRecording();
  }

  setRequest(body: ChatRequestLike): void {
    this.noteRequest(body);
    if (!this.recording) return;
    this.span.updateName(SpanNames.genAi(this.operation, this.requestModel));
    this.span.setAttributes(requestAttributes(body));
    if (this.#capture) {
      const input = inputMessages(body.messages);
      if (input !== undefined) this.span.setAttribute(Attr.genAiInputMessages, input);
    }
  }

  traceIds(): TraceIds {
    const { traceId, spanId } = this.span.spanContext();
    return { otelTraceId: traceId, otelSpanId: spanId };
  }

  injectHeaders(headers: Record<string, string> = {}): Record<string, string> {
    return injectTraceHeaders(this.context, headers);
  }

  recordHeaders(): Record<string, string> | undefined {
    return traceHeadersFor(this.span.spanContext());
  }

  attempt(start: AttemptStart): AttemptTelemetry {
    this.lastServer = { address: start.serverAddress ?? null, port: start.serverPort ?? null };
    if (!this.recording) return this.#unsampledAttempt(start);
    this.#attempts += 1;
    if (this.#attempts === 1) return this.#firstAttempt(start);
    // A second try: the first one gets its own span after all, with the times it really had.
    this.#materialiseFirst();
    return this.#eagerAttempt(start);
  }

  /**
   * Most requests make one try, and the request span (CLIENT, server.address, status) already
   * describes it: a child span would double the spans exported per request. So the first try is
   * only remembered; it becomes a span, retroactively, if a retry or fallback follows.
   */
  #firstAttempt(start: AttemptStart): AttemptTelemetry {
    const pending: PendingAttempt = { start, startTime: hrNow(), endTime: null, result: null };
    this.#pendingFirst = pending;
    return {
      span: this.span,
      context: this.context,
      injectHeaders: (headers = {}) => injectTraceHeaders(this.context, headers),
      end: (result) => {
        if (pending.result) return;
        pending.result = result;
        pending.endTime = hrNow();
        this.recordAttempt(start, result);
      },
    };
  }

  #materialiseFirst(): void {
    const first = this.#pendingFirst;
    if (!first) return;
    this.#pendingFirst = null;
    const span = this.#child(
      SpanNames.genAi(this.operation, first.start.model),
      SpanKind.CLIENT,
      this.#attemptAttributes(first.start),
      first.startTime,
    );
    if (first.result) this.#finishAttempt(span, first.result, first.endTime ?? undefined);
  }

  #eagerAttempt(start: AttemptStart): AttemptTelemetry {
    const span = this.#child(
      SpanNames.genAi(this.operation, start.model),
      SpanKind.CLIENT,
      this.#attemptAttributes(start),
    );
    const context = trace.setSpan(this.context, span);
    let ended = false;
    return {
      span,
      context,
      injectHeaders: (headers = {}) => injectTraceHeaders(context, headers),
      end: (result) => {
        if (ended) return;
        ended = true;
        this.recordAttempt(start, result);
        this.#finishAttempt(span, result);
      },
    };
  }

  #attemptAttributes(start: AttemptStart): Attributes {
    const attributes: Attributes = {
      [Attr.genAiOperationName]: this.operation,
      [Attr.genAiProviderName]: genAiProviderName(start.provider),
      [Attr.genAiRequestModel]: start.model,
      [Attr.targetPath]: start.targetPath,
    };
    if (start.retry > 0) attributes[Attr.attemptRetry] = start.retry;
    if (start.serverAddress) attributes[Attr.serverAddress] = start.serverAddress;
    if (start.serverAddress && start.serverPort != null) attributes[Attr.serverPort] = start.serverPort;
    return attributes;
  }

  #finishAttempt(span: Span, result: AttemptEnd, endTime?: HrTime): void {
    span.setAttribute(Attr.httpResponseStatusCode, result.status);
    if (result.errorType) {
      span.setAttribute(Attr.errorType, result.errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: result.errorType });
    }
    this.#end(span, endTime);
  }

  /** A request the sampler dropped: its children would be dropped too, so none are made (metrics still are). */
  #unsampledAttempt(start: AttemptStart): AttemptTelemetry {
    let ended = false;
    return {
      span: this.span,
      context: this.context,
      injectHeaders: (headers = {}) => injectTraceHeaders(this.context, headers),
      end: (result) => {
        if (ended) return;
        ended = true;
        this.recordAttempt(start, result);
      },
    };
  }

  cacheLookup(): ChildSpan {
    if (!this.recording) return NOOP_CHILD;
    const span = this.#child(SpanNames.cacheLookup, SpanKind.INTERNAL, {});
    return {
      end: (result) => {
        if (result?.status) span.setAttribute(Attr.cacheStatus, result.status);
        this.#endChild(span, result?.errorType);
      },
    };
  }

  guardrail(id: string, stage: "input" | "output" = "input"): ChildSpan {
    if (!this.recording) return NOOP_CHILD;
    const span = this.#child(SpanNames.guardrail, SpanKind.INTERNAL, {
      [Attr.guardrailId]: id,
      [Attr.guardrailStage]: stage,
    });
    return {
      end: (result) => {
        if (result?.verdict) span.setAttribute(Attr.guardrailVerdict, result.verdict);
        this.#endChild(span, result?.errorType);
      },
    };
  }

  streamChunk(data: string): void {
    if (!this.recording) return;
    this.#stream ??= new StreamFacts(this.#capture);
    this.#stream.add(data);
  }

  end(result: RequestEnd): void {
    if (this.ended) return;
    this.ended = true;
    const endedAt = performance.now();
    for (const open of this.#open) open.end(); // children the caller never ended
    this.#open.clear();
    this.recordMetrics(result, endedAt);
    const span = this.span;
    if (this.recording) span.setAttributes(this.#endAttributes(result));
    if (result.errorType) span.setStatus({ code: SpanStatusCode.ERROR, message: result.errorType });
    span.end();
  }

  #endAttributes(result: RequestEnd): Attributes {
    const a: Attributes = { [Attr.httpResponseStatusCode]: result.statusCode };
    const facts = this.#responseFacts(result);
    if (result.provider) a[Attr.genAiProviderName] = genAiProviderName(result.provider);
    const responseModel = result.responseModel ?? facts?.model ?? null;
    if (responseModel) a[Attr.genAiResponseModel] = responseModel;
    const responseId = result.responseId ?? facts?.id ?? null;
    if (responseId) a[Attr.genAiResponseId] = responseId;
    const finishReasons = result.finishReasons ?? facts?.finishReasons ?? null;
    if (finishReasons && finishReasons.length > 0) a[Attr.genAiResponseFinishReasons] = [...finishReasons];
    if (facts?.outputMessages !== undefined) a[Attr.genAiOutputMessages] = facts.outputMessages;
    const usage = result.usage;
    if (usage) {
      a[Attr.genAiUsageInputTokens] = usage.input_tokens;
      a[Attr.genAiUsageOutputTokens] = usage.output_tokens;
      if (usage.cache_read_tokens) a[Attr.genAiUsageCacheReadInputTokens] = usage.cache_read_tokens;
      if (usage.cache_write_tokens) a[Attr.genAiUsageCacheCreationInputTokens] = usage.cache_write_tokens;
      if (usage.reasoning_tokens) a[Attr.genAiUsageReasoningOutputTokens] = usage.reasoning_tokens;
    }
    const address = result.serverAddress ?? this.lastServer?.address ?? null;
    const port = result.serverPort ?? this.lastServer?.port ?? null;
    if (address) a[Attr.serverAddress] = address;
    if (address && port !== null) a[Attr.serverPort] = port;
    if (this.stream && this.firstChunkAt !== null) {
      a[Attr.genAiResponseTimeToFirstChunk] = seconds(this.startedAt, this.firstChunkAt);
    }
    if (result.errorType) a[Attr.errorType] = result.errorType;
    if (result.tenantId) a[Attr.tenantId] = result.tenantId;
    if (result.traceId) a[Attr.traceId] = result.traceId;
    if (result.cacheStatus && result.cacheStatus !== "DISABLED") a[Attr.cacheStatus] = result.cacheStatus;
    if (result.costNanoUsd != null) a[Attr.costNanoUsd] = result.costNanoUsd;
    if (result.targetPath) a[Attr.targetPath] = result.targetPath;
    if (result.configId) a[Attr.configId] = result.configId;
    if (result.retryCount) a[Attr.retryCount] = result.retryCount;
    return a;
  }

  #responseFacts(result: RequestEnd) {
    if (this.#stream) return this.#stream.facts();
    const needed = result.responseId == null || result.finishReasons == null || this.#capture;
    if (!needed || !result.responseBody || result.errorType) return null;
    return responseFacts(result.responseBody, this.#capture);
  }

  #child(name: string, kind: SpanKind, attributes: Attributes, startTime?: HrTime): Span {
    const options = startTime ? { kind, attributes, startTime } : { kind, attributes };
    const span = this.#tracer.startSpan(name, options, this.context);
    this.#open.add(span);
    return span;
  }

  #endChild(span: Span, errorType: string | null | undefined): void {
    if (errorType) {
      span.setAttribute(Attr.errorType, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    }
    this.#end(span);
  }

  #end(span: Span, endTime?: HrTime): void {
    if (!this.#open.delete(span)) return;
    span.end(endTime);
  }
}
