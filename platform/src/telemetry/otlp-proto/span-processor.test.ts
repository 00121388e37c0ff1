import { SpanKind, SpanStatusCode, TraceFlags } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { pollUntil } from "../../testing/poll.ts";
import { type ProtoBatchOptions, ProtoBatchSpanProcessor } from "./span-processor.ts";

const resource = resourceFromAttributes({ "service.name": "switchyard-gateway" });
const scope = { name: "switchyard.gateway" };

function span(i: number, traceFlags: number = TraceFlags.SAMPLED): ReadableSpan {
  return {
    name: `chat m${i}`,
    kind: SpanKind.CLIENT,
    spanContext: () => ({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: (0x1000 + i).toString(16).padStart(16, "0"),
      traceFlags,
    }),
    startTime: [1_763_776_000, i],
    endTime: [1_763_776_001, i],
    duration: [1, 0],
    status: { code: SpanStatusCode.UNSET },
    attributes: { "gen_ai.request.model": `m${i}` },
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

const expected = (spans: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);

/** A processor whose transport records each body; `answer` decides how each send settles. */
function harness(options: Partial<ProtoBatchOptions> = {}, answer: (n: number) => Promise<void> = async () => {}) {
  const sent: Buffer[] = [];
  const outcomes = { queueFull: 0, exported: 0, exportFailed: 0 };
  const processor = new ProtoBatchSpanProcessor({
    send: (body) => {
      sent.push(Buffer.from(body));
      return answer(sent.length);
    },
    outcomes: {
      queueFull: (n) => {
        outcomes.queueFull += n;
      },
      exported: (n) => {
        outcomes.exported += n;
      },
      exportFailed: (n) => {
        outcomes.exportFailed += n;
      },
    },
    maxQueueSize: 100,
    maxExportBatchSize: 3,
    scheduledDelayMs: 60_000,
    exportTimeoutMs: 5_000,
    ...options,
  });
  return { processor, sent, outcomes };
}

describe("ProtoBatchSpanProcessor", () => {
  it("exports full batches as they fill and the rest on flush, each the OTLP request of its spans", async () => {
    const { processor, sent, outcomes } = harness();
    const spans = Array.from({ length: 7 }, (_, i) => span(i));
    for (const s of spans) processor.onEnd(s);
    await pollUntil(() => (sent.length === 2 ? true : undefined), "two full batches");
    await processor.forceFlush();
    expect(sent).toEqual([expected(spans.slice(0, 3)), expected(spans.slice(3, 6)), expected(spans.slice(6))]);
    expect(outcomes).toEqual({ queueFull: 0, exported: 7, exportFailed: 0 });
  });

  it("exports a partial batch after scheduledDelayMs without a flush", async () => {
    const { processor, sent } = harness({ scheduledDelayMs: 20 });
    processor.onEnd(span(1));
    await pollUntil(() => (sent.length === 1 ? true : undefined), "the scheduled export", 5_000);
    expect(sent[0]).toEqual(expected([span(1)]));
  });

  it("ignores spans the sampler did not sample", async () => {
    const { processor, sent, outcomes } = harness();
    processor.onEnd(span(1, TraceFlags.NONE));
    await processor.forceFlush();
    expect(sent).toEqual([]);
    expect(outcomes.exported).toBe(0);
  });

  it("drops and counts spans beyond maxQueueSize while the endpoint is stuck, then accepts again", async () => {
    let release = () => {};
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { processor, outcomes } = harness({ maxQueueSize: 4, maxExportBatchSize: 2 }, (n) =>
      n === 1 ? stuck : Promise.resolve(),
    );
    for (let i = 0; i < 10; i++) processor.onEnd(span(i));
    expect(outcomes.queueFull).toBe(6);
    release();
    await processor.forceFlush();
    expect(outcomes.exported).toBe(4);
    processor.onEnd(span(11));
    await processor.forceFlush();
    expect(outcomes).toEqual({ queueFull: 6, exported: 5, exportFailed: 0 });
  });

  it("counts a rejected or timed-out export as failed and goes on with the next batch", async () => {
    const { processor, sent, outcomes } = harness({ exportTimeoutMs: 50 }, (n) =>
      n === 1 ? Promise.reject(new Error("503")) : n === 2 ? new Promise<void>(() => {}) : Promise.resolve(),
    );
    for (let i = 0; i < 9; i++) processor.onEnd(span(i));
    await processor.forceFlush();
    expect(sent).toHaveLength(3);
    expect(outcomes).toEqual({ queueFull: 0, exported: 3, exportFailed: 6 });
  });

  it("flushes on shutdown and takes no spans after it", async () => {
    const { processor, sent, outcomes } = harness();
    processor.onEnd(span(1));
    await processor.shutdown();
    processor.onEnd(span(2));
    await processor.forceFlush();
    expect(sent).toEqual([expected([span(1)])]);
    expect(outcomes.exported).toBe(1);
  });
});
