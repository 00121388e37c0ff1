import type { Context, HeaderRecord, Span } from "@switchyard/platform";

/**
 * The gateway's telemetry API (public types). One RequestTelemetry per admitted request; the route
 * and the router call it at fixed points (see README.md in this folder). Every method is cheap and
 * never throws; with tracing off the handle creates no spans and only records metrics.
 */
export interface GatewayTelemetry {
  /** Spans are being created (an OTLP endpoint is configured). */
  readonly tracing: boolean;
  /** Prompt/completion content goes on spans (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true). */
  readonly captureContent: boolean;
  startRequest(start: RequestStart): RequestTelemetry;
}

export interface RequestStart {
  /** gen_ai.operation.name: "chat" (default), "text_completion", "embeddings", ... */
  operation?: string;
  /** Known when the body is parsed; may also be given later with setRequest(). */
  requestModel?: string | null;
  /** The client's HTTP headers: a W3C traceparent/baggage there continues the application's trace. */
  incomingHeaders: HeaderRecord;
  /** performance.now() at arrival (request.startedAt): the span and the duration metric start there. */
  startedAt?: number;
}

export interface TraceIds {
  /** 32 hex chars: the trace this request belongs to (the application's when it sent a traceparent). */
  otelTraceId: string | null;
  /** 16 hex chars: the gateway's request span (null with tracing off). */
  otelSpanId: string | null;
}

export interface AttemptStart {
  /** Switchyard provider id (openai, anthropic, ...); mapped to gen_ai.provider.name. */
  provider: string;
  /** The model this attempt asks for (after override_params). */
  model: string;
  /** The real upstream's host and port (server.address / server.port). */
  serverAddress?: string | null;
  serverPort?: number | null;
  /** Route path, e.g. config.targets[1] (switchyard.target.path). */
  targetPath: string;
  /** 0 for the target's first try, n for its n-th retry. */
  retry: number;
}

export interface AttemptEnd {
  /** HTTP status the upstream answered (or the router's 408/502/503 for a failure). */
  status: number;
  errorType?: string | null;
}

export interface AttemptTelemetry {
  readonly span: Span;
  /** The request context with this attempt's span: run the upstream call inside it. */
  readonly context: Context;
  /** Adds `traceparent` (and `tracestate`) naming this attempt's span; returns `headers`. */
  injectHeaders(headers?: Record<string, string>): Record<string, string>;
  end(result: AttemptEnd): void;
}

export interface ChildSpan {
  end(result?: { status?: string; verdict?: string; errorType?: string | null }): void;
}

/** Token usage as the RequestEvent carries it (events' Usage). */
export interface UsageLike {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens?: number;
  cache_write_tokens?: number;
  reasoning_tokens?: number;
}

export interface RequestEnd {
  statusCode: number;
  errorType: string | null;
  /** The provider that produced the response (or was tried last); null when none was tried. */
  provider: string | null;
  responseModel?: string | null;
  responseId?: string | null;
  finishReasons?: readonly string[] | null;
  usage?: UsageLike | null;
  costNanoUsd?: number | null;
  cacheStatus?: string;
  tenantId?: string;
  /** The Portkey-style trace id (x-portkey-trace-id). */
  traceId?: string;
  targetPath?: string | null;
  configId?: string | null;
  retryCount?: number;
  /** The final upstream, when no attempt() recorded it. */
  serverAddress?: string | null;
  serverPort?: number | null;
  /**
   * The JSON response body: response id, model, finish reasons (and output content when captured)
   * are read from it when the span is recording and they were not given. Not parsed otherwise.
   */
  responseBody?: Buffer | string | null;
}

/** The request fields telemetry reads (genai-content.ts); every other body field is ignored. */
export interface ChatRequestLike {
  model?: unknown;
  messages?: unknown;
  temperature?: unknown;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  top_p?: unknown;
  top_k?: unknown;
  frequency_penalty?: unknown;
  presence_penalty?: unknown;
  stop?: unknown;
  seed?: unknown;
  n?: unknown;
  stream?: unknown;
}

/**
 * What one relayed stream chunk says about the response, as the provider that built or parsed it
 * knows it: telemetry records these as given and does not parse `data` for them. A provider's
 * StreamChunk is one of these.
 */
export interface StreamChunkFacts {
  /** The chunk's JSON as relayed (chat.completion.chunk): parsed only for captured content. */
  data: string;
  /** The chunk's response id; null when it carries none (the first one given wins). */
  id: string | null;
  /** The model the chunk names; null when none (the last one given wins). */
  model: string | null;
  /** The finish reason of every choice this chunk ends, in choice order (usually none). */
  finishReasons: readonly string[];
}

export interface RequestTelemetry {
  /** The request span (a non-recording span with tracing off). */
  readonly span: Span;
  /** The application's context with the request span: run downstream work inside it. */
  readonly context: Context;
  /** The span is sampled and recording: worth computing optional attributes. */
  readonly recording: boolean;
  /** Request model and parameters (gen_ai.request.*), input content when captured; renames the span. */
  setRequest(body: ChatRequestLike): void;
  /** For the RequestEvent's otel_trace_id / otel_span_id. */
  traceIds(): TraceIds;
  /** Adds `traceparent` (and `tracestate`) naming the request span; returns `headers`. */
  injectHeaders(headers?: Record<string, string>): Record<string, string>;
  /** Headers for the event's bus record, so ingest's consumer span links back here. */
  recordHeaders(): Record<string, string> | undefined;
  /** A child CLIENT span for one upstream try (fallbacks and retries each get one). */
  attempt(start: AttemptStart): AttemptTelemetry;
  /** A child span around the cache lookup; end it with the cache status. */
  cacheLookup(): ChildSpan;
  /** A child span around storing an answer in the cache; end it with the cache status. */
  cacheStore(): ChildSpan;
  /** A child span around one guardrail check; end it with the verdict. */
  guardrail(id: string, stage?: "input" | "output"): ChildSpan;
  /** The first chunk reached the client (streams): time to first chunk. */
  firstToken(): void;
  /** A relayed stream chunk (recording only): response id, model, finish reasons, captured content. */
  streamChunk(chunk: StreamChunkFacts): void;
  /** Ends the request span and records the request's metrics. Idempotent. */
  end(result: RequestEnd): void;
}
