import { SpanKind, SpanStatusCode, TraceFlags } from "@opentelemetry/api";
import { TraceState } from "@opentelemetry/core";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { ProtoWriter } from "./proto-writer.ts";
import { type EncodedScope, writeExportRequest, writeSpan } from "./span-encoding.ts";

const resource = resourceFromAttributes({ "service.name": "switchyard-gateway", "process.pid": 4242 });
const gatewayScope = { name: "switchyard.gateway", version: "1.2.3" };
const busScope = { name: "switchyard.bus", schemaUrl: "https://opentelemetry.io/schemas/1.37.0" };

function span(overrides: Partial<ReadableSpan> & { traceFlags?: number; remoteParent?: boolean }): ReadableSpan {
  const { traceFlags = TraceFlags.SAMPLED, remoteParent, ...rest } = overrides;
  return {
    name: "chat gpt-4o-mini",
    kind: SpanKind.CLIENT,
    spanContext: () => ({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags }),
    parentSpanContext:
      remoteParent === undefined
        ? undefined
        : {
            traceId: "0af7651916cd43dd8448eb211c80319c",
            spanId: "00f067aa0ba902b7",
            traceFlags,
            isRemote: remoteParent,
          },
    startTime: [1_763_776_000, 123_456_789],
    endTime: [1_763_776_001, 999_999_999],
    duration: [1, 876_543_210],
    status: { code: SpanStatusCode.UNSET },
    attributes: {},
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: gatewayScope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ...rest,
  };
}

/** Our request for `spans` (grouped by scope in first-seen order, as the SDK groups them). */
function ours(spans: ReadableSpan[]): Uint8Array {
  const writers = new Map<ReadableSpan["instrumentationScope"], ProtoWriter>();
  for (const s of spans) {
    const w = writers.get(s.instrumentationScope) ?? new ProtoWriter(16);
    writers.set(s.instrumentationScope, w);
    w.tag(2, 2);
    writeSpan(w, s);
  }
  const scopes: EncodedScope[] = [...writers].map(([scope, w]) => ({ scope, spans: w.buf.subarray(0, w.pos) }));
  const out = new ProtoWriter(8);
  writeExportRequest(out, resource, scopes);
  return out.buf.subarray(0, out.pos);
}

const sdk = (spans: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;

describe("OTLP protobuf span encoding", () => {
  it("writes exactly the SDK serializer's bytes for a GenAI request span", () => {
    const s = span({
      remoteParent: true,
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 9,
        "gen_ai.response.finish_reasons": ["stop", "length"],
        "switchyard.cost_nano_usd": 13_200,
        "gen_ai.request.temperature": 0.7,
        "switchyard.cache.hit": false,
        "server.port": 443,
      },
      status: { code: SpanStatusCode.ERROR, message: "rate_limit_exceeded" },
    });
    expect(Buffer.from(ours([s]))).toEqual(Buffer.from(sdk([s])));
  });

  it("matches for roots, remote and local parents, unsampled flags and every kind", () => {
    const spans = [
      span({ kind: SpanKind.INTERNAL }),
      span({ kind: SpanKind.SERVER, remoteParent: false }),
      span({ kind: SpanKind.CONSUMER, remoteParent: true, traceFlags: TraceFlags.NONE }),
      span({ kind: SpanKind.PRODUCER, instrumentationScope: busScope }),
    ];
    expect(Buffer.from(ours(spans))).toEqual(Buffer.from(sdk(spans)));
  });

  it("matches for events, links, trace state, unicode, long strings, big and negative integers, nested values", () => {
    const long = "x".repeat(300) + "é".repeat(200);
    const s = span({
      name: "chat modèle-été 🚀",
      spanContext: () => ({
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
        spanId: "00f067aa0ba902b7",
        traceFlags: 1,
        traceState: new TraceState("vendor=a,other=b"),
      }),
      attributes: {
        "gen_ai.input.messages": long,
        big: 2 ** 40 + 3,
        negative: -42,
        fraction: -1.5,
        huge: 1e300,
        bytes: new Uint8Array([1, 2, 3]) as unknown as string,
        mixed: ["a", "ü"],
        numbers: [1, 2.5, -3],
        flags: [true, false],
      },
      events: [
        { name: "gen_ai.choice", time: [1_763_776_000, 5], attributes: { index: 0, reason: "stop" } },
        { name: "exception", time: [1_763_776_001, 6], droppedAttributesCount: 2 },
      ],
      links: [
        {
          context: {
            traceId: "5bf92f3577b34da6a3ce929d0e0e4736",
            spanId: "10f067aa0ba902b7",
            traceFlags: 1,
            isRemote: true,
            traceState: new TraceState("k=v"),
          },
          attributes: { "messaging.kafka.offset": 17 },
        },
        { context: { traceId: "6bf92f3577b34da6a3ce929d0e0e4736", spanId: "20f067aa0ba902b7", traceFlags: 0 } },
      ],
      droppedAttributesCount: 3,
      droppedEventsCount: 1,
      droppedLinksCount: 2,
    });
    expect(Buffer.from(ours([s]))).toEqual(Buffer.from(sdk([s])));
  });

  it("matches a batch large enough that enclosing lengths need multi-byte varints", () => {
    const spans = Array.from({ length: 3000 }, (_, i) =>
      span({ attributes: { i, "gen_ai.response.id": `chatcmpl-${i}` }, remoteParent: i % 2 === 0 }),
    );
    const bytes = ours(spans);
    expect(bytes.length).toBeGreaterThan(16_384); // the resource_spans length takes a 3-byte varint
    expect(Buffer.from(bytes)).toEqual(Buffer.from(sdk(spans)));
  });
});
