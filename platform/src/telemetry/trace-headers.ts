import {
  type Context,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  trace,
} from "@opentelemetry/api";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";

/**
 * W3C trace context on plain header records: HTTP request headers (values may be arrays), bus
 * record headers (Kafka and the embedded log carry `Record<string, string>`). Extraction never
 * throws: a malformed `traceparent` or `baggage` yields no parent, so the caller starts a fresh trace.
 */
export type HeaderRecord = Readonly<Record<string, string | string[] | undefined>>;

export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";

export const headerGetter: TextMapGetter<HeaderRecord> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key] ?? carrier[key.toLowerCase()],
};

/** traceparent + tracestate: what goes to upstreams and onto bus records (never baggage). */
export const traceContextPropagator: TextMapPropagator = new W3CTraceContextPropagator();

/** What an incoming request may carry: W3C trace context and baggage. */
export const incomingPropagator: TextMapPropagator = new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
});

/** The parent context an incoming request names; ROOT_CONTEXT when it names none or a malformed one. */
export function extractContext(
  headers: HeaderRecord,
  propagator: TextMapPropagator = incomingPropagator,
  base: Context = ROOT_CONTEXT,
): Context {
  const lone = handlesTraceContext(propagator) ? loneTraceparent(headers) : null;
  if (lone) return trace.setSpanContext(base, lone);
  try {
    return propagator.extract(base, headers, headerGetter);
  } catch {
    return base;
  }
}

const readsTraceparent = new WeakMap<TextMapPropagator, boolean>();

function handlesTraceContext(propagator: TextMapPropagator): boolean {
  let reads = readsTraceparent.get(propagator);
  if (reads === undefined) {
    reads = propagator.fields().includes(TRACEPARENT);
    readsTraceparent.set(propagator, reads);
  }
  return reads;
}

const TRACEPARENT_V00 = /^00-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;
const ALL_ZERO = /^0+$/;

/**
 * The common incoming case — one well-formed version-00 traceparent, no tracestate, no baggage —
 * read directly: the same span context the W3C propagator would produce (trace-headers.test.ts
 * checks they agree), without its composite pass over every propagator. Anything else → null, and
 * the propagator handles it.
 */
function loneTraceparent(headers: HeaderRecord): SpanContext | null {
  const value = headers[TRACEPARENT];
  if (typeof value !== "string" || headers[TRACESTATE] !== undefined || headers.baggage !== undefined) return null;
  const match = TRACEPARENT_V00.exec(value);
  if (!match || ALL_ZERO.test(match[1]!) || ALL_ZERO.test(match[2]!)) return null;
  return { traceId: match[1]!, spanId: match[2]!, traceFlags: Number.parseInt(match[3]!, 16), isRemote: true };
}

/** Record headers that carry `spanContext` across the bus, or undefined when it is not valid. */
export function traceHeadersFor(spanContext: SpanContext): Record<string, string> | undefined {
  if (!isSpanContextValid(spanContext)) return undefined;
  return spanTraceHeaders(spanContext);
}

/**
 * traceparent (and tracestate) for a span context known to be valid — one this process' tracer just
 * started — formatted directly: what the W3C propagator writes, without its validation pass and the
 * context object it reads from (this runs several times per traced request).
 */
export function spanTraceHeaders(spanContext: SpanContext): Record<string, string> {
  const flags = spanContext.traceFlags & 0xff;
  const headers: Record<string, string> = {
    [TRACEPARENT]: `00-${spanContext.traceId}-${spanContext.spanId}-${flags < 16 ? "0" : ""}${flags.toString(16)}`,
  };
  const state = spanContext.traceState?.serialize();
  if (state) headers[TRACESTATE] = state;
  return headers;
}

/** The span context a bus record's headers carry (remote), or null. */
export function spanContextFromHeaders(headers: HeaderRecord): SpanContext | null {
  if (headers[TRACEPARENT] === undefined) return null;
  const spanContext = trace.getSpanContext(extractContext(headers, traceContextPropagator));
  return spanContext && isSpanContextValid(spanContext) ? spanContext : null;
}

/** A span link to the producer span named in a bus record's headers (ingest's consumer span links these). */
export function linkFromHeaders(headers: HeaderRecord): Link | null {
  const spanContext = spanContextFromHeaders(headers);
  return spanContext ? { context: spanContext } : null;
}

const TRACEPARENT_FORMAT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;

/**
 * The trace id of a W3C traceparent value, parsed without the SDK (tracing may be off). Invalid
 * (malformed, all-zero ids, version ff) → null.
 */
export function traceIdOfTraceparent(value: string | string[] | undefined): string | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return null;
  const match = TRACEPARENT_FORMAT.exec(raw.trim());
  if (!match || raw.trim().startsWith("ff")) return null;
  const traceId = match[1]!;
  if (/^0+$/.test(traceId) || /^0+$/.test(match[2]!)) return null;
  return traceId;
}
