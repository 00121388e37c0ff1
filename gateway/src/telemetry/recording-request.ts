import {
  Attr,
  type Attributes,
  type Context,
  genAiProviderName,
  type HrTime,
  type Span,
  SpanKind,
  SpanNames,
  type SpanStarter,
  SpanStatusCode,
  spanTraceHeaders,
  TRACEPARENT,
  type Tracer,
  trace,
  traceHeadersFor,
} from "@switchyard/platform";
import { endAttributes } from "./end-attributes.ts";
import { FirstAttempt, hrTimeOf } from "./first-attempt.ts";
import { inputMessages, requestAttributes, responseFacts, StreamFacts } from "./genai-content.ts";
import { NOOP_CHILD } from "./metrics-only-request.ts";
import { type Instruments, RequestMetrics, seconds } from "./request-metrics.ts";
import type {
  AttemptEnd,
  AttemptStart,
  AttemptTelemetry,
  ChatRequestLike,
  ChildSpan,
  RequestEnd,
  RequestStart,
  RequestTelemetry,
  StreamChunkFacts,
  TraceIds,
} from "./types.ts";

/** Tracing on: the request span (kind CLIENT, per the GenAI convention) and its children. */
export class RecordingRequest extends RequestMetrics implements RequestTelemetry {
  readonly span: Span;
  readonly recording: boolean;
  readonly #parent: Context;
  #context: Context | null = null;
  /** traceparent (+ tracestate) naming the request span: formatted once, sent upstream and on the bus record. */
  #headers: Readonly<Record<string, string>> | null = null;
  readonly #tracer: Tracer;
  readonly #capture: boolean;
  readonly #open = new Set<Span>();
  #stream: StreamFacts | null = null;
  #attempts = 0;
  #pendingFirst: FirstAttempt | null = null;

  /**
   * `requestSpans` starts the request span (the FastTracer, one per request: the hot path);
   * `tracer`, the SDK's, starts the rarer children (retries, fallbacks, cache, guardrails).
   */
  constructor(
    tracers: { tracer: Tracer; requestSpans: SpanStarter },
    parent: Context,
    start: RequestStart,
    instruments: Instruments,
    capture: boolean,
  ) {
    super(start, instruments);
    this.#tracer = tracers.tracer;
    this.#capture = capture;
    const attributes: Attributes = { [Attr.genAiOperationName]: this.operation };
    if (this.requestModel) attributes[Attr.genAiRequestModel] = this.requestModel;
    this.span = tracers.requestSpans.startSpan(
      SpanNames.genAi(this.operation, this.requestModel),
      { kind: SpanKind.CLIENT, attributes, startTime: start.startedAt },
      parent,
    );
    this.#parent = parent;
    this.recording = this.span.isRecording();
  }

  /** Built on first use: nothing on the request path needs it (headers are formatted directly). */
  get context(): Context {
    this.#context ??= trace.setSpan(this.#parent, this.span);
    return this.#context;
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
    // Validated once: an SDK span whose context is invalid (tracing suppressed) propagates nothing.
    this.#headers ??= traceHeadersFor(this.span.spanContext()) ?? {};
    return Object.assign(headers, this.#headers);
  }

  recordHeaders(): Record<string, string> | undefined {
    const headers = this.injectHeaders();
    return headers[TRACEPARENT] ? headers : undefined;
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
    this.#pendingFirst = new FirstAttempt(this, start);
    return this.#pendingFirst;
  }

  /** A first try ended (FirstAttempt.end): its metrics now; its span only if a second try follows. */
  attemptEnded(start: AttemptStart, result: AttemptEnd): void {
    this.recordAttempt(start, result);
  }

  #materialiseFirst(): void {
    const first = this.#pendingFirst;
    if (!first) return;
    this.#pendingFirst = null;
    const span = this.#child(
      SpanNames.genAi(this.operation, first.start.model),
      SpanKind.CLIENT,
      this.#attemptAttributes(first.start),
      hrTimeOf(first.startedAtMs),
    );
    if (first.result) {
      this.#finishAttempt(span, first.result, first.endedAtMs === null ? undefined : hrTimeOf(first.endedAtMs));
    }
  }

  #eagerAttempt(start: AttemptStart): AttemptTelemetry {
    const span = this.#child(
      SpanNames.genAi(this.operation, start.model),
      SpanKind.CLIENT,
      this.#attemptAttributes(start),
    );
    const request = this;
    let ended = false;
    return {
      span,
      get context() {
        return trace.setSpan(request.context, span);
      },
      injectHeaders: (headers = {}) => Object.assign(headers, spanTraceHeaders(span.spanContext())),
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
    const request = this;
    return {
      span: this.span,
      get context() {
        return request.context;
      },
      injectHeaders: (headers) => this.injectHeaders(headers),
      end: (result) => {
        if (ended) return;
        ended = true;
        this.recordAttempt(start, result);
      },
    };
  }

  cacheLookup(): ChildSpan {
    return this.#cacheSpan(SpanNames.cacheLookup);
  }

  cacheStore(): ChildSpan {
    return this.#cacheSpan(SpanNames.cacheStore);
  }

  #cacheSpan(name: string): ChildSpan {
    if (!this.recording) return NOOP_CHILD;
    const span = this.#child(name, SpanKind.INTERNAL, {});
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

  streamChunk(chunk: StreamChunkFacts): void {
    if (!this.recording) return;
    this.#stream ??= new StreamFacts(this.#capture);
    this.#stream.add(chunk);
  }

  end(result: RequestEnd): void {
    if (this.ended) return;
    this.ended = true;
    const endedAt = performance.now();
    for (const open of this.#open) open.end(); // children the caller never ended
    this.#open.clear();
    this.recordMetrics(result, endedAt);
    const span = this.span;
    if (this.recording) {
      const ttfc = this.stream && this.firstChunkAt !== null ? seconds(this.startedAt, this.firstChunkAt) : null;
      span.setAttributes(endAttributes(result, this.#responseFacts(result), this.lastServer, ttfc));
    }
    if (result.errorType) span.setStatus({ code: SpanStatusCode.ERROR, message: result.errorType });
    span.end();
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
