import {
  type Context,
  type HeaderRecord,
  ROOT_CONTEXT,
  type Span,
  TRACEPARENT,
  TRACESTATE,
  trace,
  traceIdOfTraceparent,
} from "@switchyard/platform";
import { type Instruments, RequestMetrics } from "./request-metrics.ts";
import type {
  AttemptStart,
  AttemptTelemetry,
  ChatRequestLike,
  ChildSpan,
  RequestEnd,
  RequestStart,
  RequestTelemetry,
  TraceIds,
} from "./types.ts";

export const NOOP_CHILD: ChildSpan = { end: () => undefined };
const INVALID_SPAN = trace.wrapSpanContext({ traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 0 });

/**
 * Tracing off: no span, no context work; metrics only. An incoming traceparent is still honoured in
 * the cheapest way: its trace id goes into the event (so analytics finds the request by the
 * application's trace id) and it is passed on unchanged to the upstream and the bus record.
 */
export class MetricsOnlyRequest extends RequestMetrics implements RequestTelemetry {
  readonly span: Span = INVALID_SPAN;
  readonly context: Context = ROOT_CONTEXT;
  readonly recording = false;
  readonly #incoming: HeaderRecord;
  /** The incoming trace context to pass on, validated once (several calls per request read it). */
  #propagated: { traceId: string | null; headers: Readonly<Record<string, string>> } | null = null;

  constructor(start: RequestStart, instruments: Instruments) {
    super(start, instruments);
    this.#incoming = start.incomingHeaders;
  }

  setRequest(body: ChatRequestLike): void {
    this.noteRequest(body);
  }

  #passedOn(): { traceId: string | null; headers: Readonly<Record<string, string>> } {
    if (this.#propagated) return this.#propagated;
    const traceparent = this.#incoming[TRACEPARENT];
    const value = Array.isArray(traceparent) ? traceparent[0] : traceparent;
    const traceId = traceIdOfTraceparent(value);
    const headers: Record<string, string> = {};
    if (value !== undefined && traceId !== null) {
      headers[TRACEPARENT] = value.trim();
      const state = this.#incoming[TRACESTATE];
      const stateValue = Array.isArray(state) ? state.join(",") : state;
      if (stateValue) headers[TRACESTATE] = stateValue;
    }
    this.#propagated = { traceId, headers };
    return this.#propagated;
  }

  traceIds(): TraceIds {
    return { otelTraceId: this.#passedOn().traceId, otelSpanId: null };
  }

  injectHeaders(headers: Record<string, string> = {}): Record<string, string> {
    return Object.assign(headers, this.#passedOn().headers);
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

  cacheStore(): ChildSpan {
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
