import type { Attributes, AttributeValue, HrTime, Link, SpanContext } from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace";
import type { ProtoWriter } from "./proto-writer.ts";

/**
 * OTLP trace protobuf (opentelemetry/proto/trace/v1/trace.proto, collector/trace/v1) written straight
 * from SDK types. Field order and presence follow @opentelemetry/otlp-transformer's serializer, so for
 * the same spans the bytes are identical (span-encoding.test.ts checks this); what differs is when it
 * runs: one span at a time, as it ends, instead of a whole batch on export.
 */

const LEN = 2 as const;
const VARINT = 0 as const;
const I64 = 1 as const;
const I32 = 5 as const;

/** Span.flags: the W3C trace flags plus "the parent's remoteness is known" and whether it is remote. */
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | FLAGS_HAS_IS_REMOTE | (isRemote ? FLAGS_IS_REMOTE : 0);
}

/** trace_id, span_id and trace_state: fields 1–3 of both Span and Span.Link. */
function writeIdentity(w: ProtoWriter, ctx: SpanContext): void {
  w.tag(1, LEN);
  w.hexBytes(ctx.traceId);
  w.tag(2, LEN);
  w.hexBytes(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.tag(3, LEN);
    w.string(traceState);
  }
}

/** One Span message (without its field tag): the caller writes `tag(2, LEN)` inside a ScopeSpans. */
export function writeSpan(w: ProtoWriter, span: ReadableSpan): void {
  const mark = w.begin();
  const ctx = span.spanContext();
  writeIdentity(w, ctx);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.tag(4, LEN);
    w.hexBytes(parent.spanId);
  }
  w.tag(5, LEN);
  w.string(span.name);
  const kind = span.kind == null ? 0 : span.kind + 1; // OTLP's enum has UNSPECIFIED at 0
  if (kind !== 0) {
    w.tag(6, VARINT);
    w.uint32(kind);
  }
  w.tag(7, I64);
  w.hrTime(span.startTime);
  w.tag(8, I64);
  w.hrTime(span.endTime);
  writeAttributes(w, span.attributes, 9);
  w.tag(10, VARINT);
  w.uint32(span.droppedAttributesCount);
  for (const event of span.events) writeEvent(w, event);
  w.tag(12, VARINT);
  w.uint32(span.droppedEventsCount);
  for (const link of span.links) writeLink(w, link);
  w.tag(14, VARINT);
  w.uint32(span.droppedLinksCount);
  w.tag(15, LEN);
  const status = w.begin();
  if (span.status.message) {
    w.tag(2, LEN);
    w.string(span.status.message);
  }
  w.tag(3, VARINT);
  w.uint32(span.status.code);
  w.end(status);
  w.tag(16, I32);
  w.fixed32(spanFlags(ctx.traceFlags, parent?.isRemote));
  w.end(mark);
}

function writeEvent(w: ProtoWriter, event: TimedEvent): void {
  w.tag(11, LEN);
  const mark = w.begin();
  w.tag(1, I64);
  w.hrTime(event.time as HrTime);
  w.tag(2, LEN);
  w.string(event.name);
  if (event.attributes) writeAttributes(w, event.attributes, 3);
  w.tag(4, VARINT);
  w.uint32(event.droppedAttributesCount ?? 0);
  w.end(mark);
}

function writeLink(w: ProtoWriter, link: Link): void {
  w.tag(13, LEN);
  const mark = w.begin();
  const ctx = link.context;
  writeIdentity(w, ctx);
  if (link.attributes) writeAttributes(w, link.attributes, 4);
  w.tag(5, VARINT);
  w.uint32(link.droppedAttributesCount ?? 0);
  w.tag(6, I32);
  w.fixed32(spanFlags(ctx.traceFlags, ctx.isRemote));
  w.end(mark);
}

/** repeated KeyValue under `field`. */
export function writeAttributes(w: ProtoWriter, attributes: Attributes, field: number): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    w.tag(field, LEN);
    const kv = w.begin();
    w.tag(1, LEN);
    w.string(key);
    w.tag(2, LEN);
    const value = w.begin();
    writeAnyValue(w, attributes[key]);
    w.end(value);
    w.end(kv);
  }
}

const INT64_MIN = -(2 ** 63);
const INT64_MAX = 2 ** 63;

/** The fields of one AnyValue (its enclosing length is the caller's). undefined/null writes nothing (empty AnyValue). */
function writeAnyValue(w: ProtoWriter, value: AttributeValue | undefined | null | unknown): void {
  switch (typeof value) {
    case "string":
      w.tag(1, LEN);
      w.string(value);
      return;
    case "boolean":
      w.tag(2, VARINT);
      w.uint32(value ? 1 : 0);
      return;
    case "number":
      if (Number.isInteger(value) && value >= INT64_MIN && value < INT64_MAX) {
        w.tag(3, VARINT);
        w.int64(value);
      } else {
        w.tag(4, I64);
        w.double(value);
      }
      return;
  }
  if (value instanceof Uint8Array) {
    w.tag(7, LEN);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, LEN);
    const array = w.begin();
    for (const item of value) {
      w.tag(1, LEN);
      const mark = w.begin();
      writeAnyValue(w, item);
      w.end(mark);
    }
    w.end(array);
  } else if (typeof value === "object" && value !== null) {
    w.tag(6, LEN);
    const list = w.begin();
    writeAttributes(w, value as Attributes, 1);
    w.end(list);
  }
}

/** InstrumentationScope under `field`. */
export function writeScope(w: ProtoWriter, scope: InstrumentationScope, field: number): void {
  w.tag(field, LEN);
  const mark = w.begin();
  w.tag(1, LEN);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, LEN);
    w.string(scope.version);
  }
  w.end(mark);
}

/** Resource under `field`. */
export function writeResource(w: ProtoWriter, resource: Resource, field: number): void {
  w.tag(field, LEN);
  const mark = w.begin();
  writeAttributes(w, resource.attributes, 1);
  w.tag(2, VARINT);
  w.uint32(0);
  w.end(mark);
}

/** The spans of one instrumentation scope, each already encoded by writeSpan (without tags). */
export interface EncodedScope {
  scope: InstrumentationScope;
  /** Concatenated `tag(2) + Span` records, ready to append inside ScopeSpans. */
  spans: Uint8Array;
}

/** ExportTraceServiceRequest { resource_spans: [{ resource, scope_spans: [...], schema_url }] }. */
export function writeExportRequest(w: ProtoWriter, resource: Resource, scopes: readonly EncodedScope[]): void {
  w.tag(1, LEN);
  const resourceSpans = w.begin();
  writeResource(w, resource, 1);
  for (const { scope, spans } of scopes) {
    w.tag(2, LEN);
    const scopeSpans = w.begin();
    writeScope(w, scope, 1);
    w.raw(spans);
    if (scope.schemaUrl) {
      w.tag(3, LEN);
      w.string(scope.schemaUrl);
    }
    w.end(scopeSpans);
  }
  if (resource.schemaUrl) {
    w.tag(3, LEN);
    w.string(resource.schemaUrl);
  }
  w.end(resourceSpans);
}
