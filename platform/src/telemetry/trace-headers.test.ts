import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { TraceState, W3CBaggagePropagator } from "@opentelemetry/core";
import { afterEach, describe, expect, it } from "vitest";
import { EmbeddedEventBus } from "../bus/embedded/embedded-event-bus.ts";
import { SpoolingPublisher } from "../bus/spool/spooling-publisher.ts";
import { quietLogger, tempDir, waitFor } from "../bus/test-support.ts";
import { BoundedValues } from "./bounded-values.ts";
import {
  extractContext,
  headerGetter,
  incomingPropagator,
  linkFromHeaders,
  spanTraceHeaders,
  traceHeadersFor,
  traceIdOfTraceparent,
} from "./trace-headers.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";
const traceparent = `00-${TRACE}-${SPAN}-01`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const undo of cleanups.splice(0).reverse()) await undo().catch(() => undefined);
});

describe("trace context in headers", () => {
  it("extracts a valid traceparent and ignores malformed ones without throwing", () => {
    expect(trace.getSpanContext(extractContext({ traceparent }))).toMatchObject({ traceId: TRACE, spanId: SPAN });
    for (const bad of ["", "00-xyz-01", `00-${"0".repeat(32)}-${SPAN}-01`, `ff-${TRACE}-${SPAN}-01`, "\u0000"]) {
      expect(trace.getSpanContext(extractContext({ traceparent: bad, baggage: "=;%%" }))).toBeUndefined();
      expect(traceIdOfTraceparent(bad)).toBeNull();
    }
    expect(traceIdOfTraceparent([traceparent, "other"])).toBe(TRACE);
  });

  it("reads a lone traceparent directly, exactly as the W3C propagator does, and leaves the rest to it", () => {
    const viaPropagator = (headers: Record<string, string>) =>
      trace.getSpanContext(incomingPropagator.extract(ROOT_CONTEXT, headers, headerGetter));
    const cases: Record<string, string>[] = [
      { traceparent },
      { traceparent: `00-${TRACE}-${SPAN}-00` },
      { traceparent: `00-${TRACE}-${SPAN}-03` },
      { traceparent: `00-${TRACE}-${"0".repeat(16)}-01` },
      { traceparent: `00-${TRACE.toUpperCase()}-${SPAN}-01` },
      { traceparent: ` 00-${TRACE}-${SPAN}-01` },
      { traceparent: `01-${TRACE}-${SPAN}-01-future` },
      { traceparent: `00-${TRACE}-${SPAN}-01-extra` },
      { traceparent, tracestate: "vendor=x" },
      { traceparent, baggage: "user=alice" },
    ];
    for (const headers of cases) {
      expect(trace.getSpanContext(extractContext(headers)), JSON.stringify(headers)).toEqual(viaPropagator(headers));
    }
    // Without the trace-context propagator (OTEL_PROPAGATORS=baggage) a traceparent is not read at all.
    expect(trace.getSpanContext(extractContext({ traceparent }, new W3CBaggagePropagator()))).toBeUndefined();
  });

  it("builds record headers from a span context and reads them back as a link", () => {
    const headers = traceHeadersFor({ traceId: TRACE, spanId: SPAN, traceFlags: 1 })!;
    expect(headers).toEqual({ traceparent });
    expect(linkFromHeaders(headers)?.context).toMatchObject({ traceId: TRACE, spanId: SPAN, isRemote: true });
    expect(linkFromHeaders({ traceparent: "garbage" })).toBeNull();
    expect(linkFromHeaders({})).toBeNull();
    expect(traceHeadersFor({ traceId: "0".repeat(32), spanId: SPAN, traceFlags: 1 })).toBeUndefined();
    const unsampled = { traceId: TRACE, spanId: SPAN, traceFlags: 0 };
    expect(spanTraceHeaders(unsampled)).toEqual({ traceparent: `00-${TRACE}-${SPAN}-00` });
    // Formatted directly, yet exactly what the W3C propagator writes, trace state included.
    for (const spanContext of [unsampled, { ...unsampled, traceFlags: 1, traceState: new TraceState("k=v,o=w") }]) {
      const viaPropagator: Record<string, string> = {};
      incomingPropagator.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), viaPropagator, {
        set: (carrier, key, value) => {
          carrier[key] = value;
        },
      });
      expect(spanTraceHeaders(spanContext)).toEqual(viaPropagator);
    }
  });

  it("survive the spool and the embedded log to the consumer", async () => {
    const dir = await tempDir("trace-headers");
    cleanups.push(dir.remove);
    const bus = await EmbeddedEventBus.open({ dataDir: `${dir.path}/log`, logger: quietLogger });
    cleanups.push(() => bus.close());
    await bus.ensureTopics([{ name: "llm.requests.v1", partitions: 1 }]);
    // Published while the bus refuses: the record goes through the disk spool first, then the log.
    let refuse = true;
    const flaky = {
      publish: (topic: string, records: Parameters<typeof bus.publish>[1]) =>
        refuse ? Promise.reject(new Error("down")) : bus.publish(topic, records),
    };
    const publisher = await SpoolingPublisher.start({
      bus: flaky,
      spoolDir: `${dir.path}/spool`,
      logger: quietLogger,
      lingerMs: 1,
      replayBackoff: { initialMs: 5, maxMs: 20 },
    });
    cleanups.push(() => publisher.close());
    publisher.enqueue("llm.requests.v1", { key: "t", value: Buffer.from("{}"), headers: { traceparent } });
    await waitFor("spooled", () => publisher.stats().spilled === 1);
    refuse = false;
    const seen: Record<string, string>[] = [];
    const sub = await bus.subscribe({
      groupId: "g",
      topics: ["llm.requests.v1"],
      fromBeginning: true,
      handleBatch: async (batch) => {
        for (const m of batch.messages) seen.push(m.headers);
      },
    });
    cleanups.push(() => sub.stop());
    await waitFor("delivered", () => seen.length === 1);
    expect(seen[0]).toEqual({ traceparent });
  });
});

describe("BoundedValues", () => {
  it("passes the first N distinct values and folds later newcomers into the overflow value", () => {
    const b = new BoundedValues(2);
    expect(["a", "b", "c", "a", "d", "b"].map((v) => b.of(v))).toEqual(["a", "b", "_OTHER", "a", "_OTHER", "b"]);
  });
});
