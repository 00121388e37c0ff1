import {
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Link,
  SamplingDecision,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { type InstrumentationScope, isTracingSuppressed } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { IdGenerator, ReadableSpan, Sampler, SpanProcessor, TimedEvent } from "@opentelemetry/sdk-trace";

/** What the request path needs to start a span: the SDK's Tracer has this shape too. */
export interface SpanStarter {
  startSpan(
    name: string,
    options: { kind?: SpanKind; attributes?: Attributes; startTime?: number },
    context: Context,
  ): Span;
}

/** The tracer provider's own parts, shared so a fast span is sampled, identified and exported like any other. */
export interface FastTracerParts {
  sampler: Sampler;
  idGenerator: IdGenerator;
  resource: Resource;
  processor: SpanProcessor;
  attributeCountLimit: number;
}

/**
 * A tracer for the one span every request makes, when it dominates the cost of tracing. It uses the
 * SDK's sampler, id generator, resource and span processor (so sampling, export, counting and
 * in-memory test exporters behave exactly as for SDK spans — fast-span.test.ts compares the two),
 * and skips what the SDK's SpanImpl spends per span on generality the request path does not use:
 * per-attribute option objects and deep copies, clock-offset bookkeeping, self-metrics closures.
 * Attribute values are still checked for type; a bad one is ignored, as the SDK ignores it.
 */
export class FastTracer implements SpanStarter {
  readonly #parts: FastTracerParts;
  readonly #scope: InstrumentationScope;

  constructor(scope: string, parts: FastTracerParts) {
    this.#parts = parts;
    this.#scope = { name: scope };
  }

  startSpan(
    name: string,
    options: { kind?: SpanKind; attributes?: Attributes; startTime?: number },
    context: Context,
  ): Span {
    if (isTracingSuppressed(context)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const { sampler, idGenerator, processor } = this.#parts;
    const parent = trace.getSpanContext(context);
    const validParent = parent && isSpanContextValid(parent) ? parent : undefined;
    const spanId = idGenerator.generateSpanId();
    const traceId = validParent?.traceId ?? idGenerator.generateTraceId();
    const kind = options.kind ?? SpanKind.INTERNAL;
    const attributes: Attributes = {};
    for (const key in options.attributes) {
      const value = options.attributes[key];
      if (isAttributeValue(value)) attributes[key] = value;
    }
    const sampling = sampler.shouldSample(context, traceId, name, kind, attributes, []);
    const traceState = sampling.traceState ?? validParent?.traceState;
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
    };
    if (traceState) spanContext.traceState = traceState;
    if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    if (sampling.attributes) Object.assign(attributes, sampling.attributes);
    const span = new FastSpan(
      this.#parts,
      this.#scope,
      spanContext,
      validParent,
      name,
      kind,
      attributes,
      options.startTime,
    );
    processor.onStart(span, context);
    return span;
  }
}

/** Epoch milliseconds of a performance.now() reading, on the clock the SDK stamps spans with. */
function epochMs(performanceMs: number): number {
  return performance.timeOrigin + performanceMs;
}

function hrTime(ms: number): HrTime {
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  return [seconds, nanos];
}

function timeInput(input: TimeInput | undefined): HrTime {
  if (input === undefined) return hrTime(epochMs(performance.now()));
  if (Array.isArray(input)) return input as HrTime;
  if (input instanceof Date) return hrTime(input.getTime());
  // A number at or before now is a performance.now() reading; a larger one is epoch milliseconds.
  return hrTime(input <= performance.now() ? epochMs(input) : input);
}

/** What the SDK accepts as an attribute (OTLP AnyValue: scalars, arrays, bytes, maps); not functions, symbols, bigints. */
function isAttributeValue(value: unknown): value is AttributeValue {
  if (value === null || value === undefined) return false;
  const type = typeof value;
  return type === "string" || type === "number" || type === "boolean" || type === "object";
}

const before = (a: HrTime, b: HrTime) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

class FastSpan implements Span, ReadableSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly attributes: Attributes;
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  ended = false;
  readonly #spanContext: SpanContext;
  readonly #parts: FastTracerParts;
  #attributeCount: number;

  constructor(
    parts: FastTracerParts,
    scope: InstrumentationScope,
    spanContext: SpanContext,
    parent: SpanContext | undefined,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    startTime: number | undefined,
  ) {
    this.#parts = parts;
    this.#spanContext = spanContext;
    this.parentSpanContext = parent;
    this.name = name;
    this.kind = kind;
    this.attributes = attributes;
    this.#attributeCount = Object.keys(attributes).length;
    this.resource = parts.resource;
    this.instrumentationScope = scope;
    this.startTime = timeInput(startTime);
  }

  get duration(): HrTime {
    if (!this.ended) return [-1, -1];
    let seconds = this.endTime[0] - this.startTime[0];
    let nanos = this.endTime[1] - this.startTime[1];
    if (nanos < 0) {
      seconds -= 1;
      nanos += 1e9;
    }
    return [seconds, nanos];
  }

  spanContext(): SpanContext {
    return this.#spanContext;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.ended || key.length === 0 || !isAttributeValue(value)) return this;
    if (!Object.hasOwn(this.attributes, key)) {
      if (this.#attributeCount >= this.#parts.attributeCountLimit) {
        this.droppedAttributesCount += 1;
        return this;
      }
      this.#attributeCount += 1;
    }
    this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    const isTime =
      attributesOrTime instanceof Date || Array.isArray(attributesOrTime) || typeof attributesOrTime === "number";
    const event: TimedEvent = { name, time: timeInput(isTime ? (attributesOrTime as TimeInput) : time) };
    if (!isTime && attributesOrTime) event.attributes = { ...(attributesOrTime as Attributes) };
    this.events.push(event);
    return this;
  }

  addLink(link: Link): this {
    if (!this.ended) this.links.push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === "string"
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    const end = timeInput(endTime);
    this.endTime = before(end, this.startTime) ? this.startTime : end;
    this.ended = true;
    this.#parts.processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === "string") attributes["exception.message"] = exception;
    else {
      const type = exception.code?.toString() ?? exception.name;
      if (type) attributes["exception.type"] = type;
      if (exception.message) attributes["exception.message"] = exception.message;
      if (exception.stack) attributes["exception.stacktrace"] = exception.stack;
    }
    this.addEvent("exception", attributes, time);
  }
}
