import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, TraceFlags, trace } from "@opentelemetry/api";
import { suppressTracing as suppress } from "@opentelemetry/core";
import { defaultResource } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  RandomIdGenerator,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { FastTracer } from "./fast-span.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const remoteParent = (flags: number) =>
  trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: "00f067aa0ba902b7", traceFlags: flags, isRemote: true });

/** An SDK tracer and a FastTracer over the same sampler, resource and processor. */
function both(sampler: Sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() }), attributeCountLimit = 128) {
  const exporter = new InMemorySpanExporter();
  const parts = {
    sampler,
    idGenerator: new RandomIdGenerator(),
    resource: defaultResource(),
    processor: new SimpleSpanProcessor({ exporter }),
    attributeCountLimit,
  };
  const provider = new TracerProvider({
    sampler,
    resource: parts.resource,
    spanProcessors: [parts.processor],
    spanLimits: { attributeCountLimit },
  });
  return { sdk: provider.getTracer("switchyard.gateway"), fast: new FastTracer("switchyard.gateway", parts), exporter };
}

/** What an exporter sees of a span, minus ids and times (which differ by construction). */
function shape(s: ReadableSpan) {
  return {
    name: s.name,
    kind: s.kind,
    traceId: s.spanContext().traceId,
    traceFlags: s.spanContext().traceFlags,
    parent: s.parentSpanContext,
    attributes: s.attributes,
    droppedAttributesCount: s.droppedAttributesCount,
    status: s.status,
    events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })),
    scope: s.instrumentationScope.name,
    resource: s.resource,
    ended: s.ended,
  };
}

/** The gateway's request span lifecycle, on either tracer. */
function lifecycle(span: Span): void {
  span.updateName("chat gpt-4o-mini");
  span.setAttributes({ "gen_ai.request.model": "gpt-4o-mini", "gen_ai.request.temperature": 0.2, skipped: undefined });
  span.setAttribute("gen_ai.response.finish_reasons", ["stop"]);
  span.setAttribute("map", { nested: true } as never);
  span.setAttribute("bad", (() => 1) as never);
  span.addEvent("gen_ai.choice", { index: 0 });
  span.setStatus({ code: SpanStatusCode.ERROR, message: "rate_limit_exceeded" });
  span.end();
  span.setAttribute("after.end", 1);
}

describe("FastTracer", () => {
  it("produces the span the SDK tracer produces for the request span's lifecycle", () => {
    const { sdk, fast, exporter } = both();
    const options = { kind: SpanKind.CLIENT, attributes: { "gen_ai.operation.name": "chat" } };
    lifecycle(sdk.startSpan("chat", options, remoteParent(TraceFlags.SAMPLED)));
    lifecycle(fast.startSpan("chat", options, remoteParent(TraceFlags.SAMPLED)));
    const [a, b] = exporter.getFinishedSpans();
    expect(shape(b!)).toEqual(shape(a!));
    expect(b!.spanContext().spanId).toMatch(/^[\da-f]{16}$/);
    expect(b!.spanContext().spanId).not.toBe(a!.spanContext().spanId);
  });

  it("starts a new trace without a parent and stamps start times given as performance.now()", () => {
    const { fast, exporter } = both();
    const startedAt = performance.now() - 25;
    const span = fast.startSpan("chat", { kind: SpanKind.CLIENT, startTime: startedAt }, ROOT_CONTEXT);
    span.end();
    const [s] = exporter.getFinishedSpans();
    expect(s!.parentSpanContext).toBeUndefined();
    expect(s!.spanContext().traceId).toMatch(/^[\da-f]{32}$/);
    const startMs = s!.startTime[0] * 1000 + s!.startTime[1] / 1e6;
    expect(Math.abs(startMs - (performance.timeOrigin + startedAt))).toBeLessThan(1);
    const durationMs = s!.duration[0] * 1000 + s!.duration[1] / 1e6;
    expect(durationMs).toBeGreaterThanOrEqual(24);
    expect(durationMs).toBeLessThan(10_000);
  });

  it("follows the sampler: an unsampled parent or a sampler that drops gives a non-recording span", () => {
    const parentBased = both();
    const unsampled = parentBased.fast.startSpan("chat", {}, remoteParent(TraceFlags.NONE));
    expect(unsampled.isRecording()).toBe(false);
    expect(unsampled.spanContext()).toMatchObject({ traceId: TRACE, traceFlags: TraceFlags.NONE });
    unsampled.end();
    const off = both(new AlwaysOffSampler());
    off.fast.startSpan("chat", {}, ROOT_CONTEXT).end();
    expect([...parentBased.exporter.getFinishedSpans(), ...off.exporter.getFinishedSpans()]).toEqual([]);
  });

  it("makes no span where tracing is suppressed, as the SDK does", () => {
    const { fast } = both();
    const span = fast.startSpan("chat", {}, suppress(remoteParent(TraceFlags.SAMPLED)));
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
  });

  it("drops and counts attributes past the count limit, like the SDK", () => {
    const { sdk, fast, exporter } = both(undefined, 3);
    for (const tracer of [sdk, fast]) {
      const span = tracer.startSpan("chat", { attributes: { a: 1, b: 2 } }, ROOT_CONTEXT);
      span.setAttributes({ c: 3, d: 4, e: 5 });
      span.setAttribute("a", 10);
      span.end();
    }
    const [a, b] = exporter.getFinishedSpans();
    expect(b!.attributes).toEqual(a!.attributes);
    expect(b!.droppedAttributesCount).toBe(a!.droppedAttributesCount);
  });
});
