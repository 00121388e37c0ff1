import type { BusMessage, MessageBatch } from "@switchyard/platform";
import { SpanKind, SpanStatusCode } from "@switchyard/platform";
import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { describe, expect, it } from "vitest";
import { createIngestTelemetry } from "./ingest-telemetry.ts";

const GATEWAY_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const spanIds = ["00f067aa0ba902b7", "00f067aa0ba902b8"];

const message = (offset: number, headers: Record<string, string>): BusMessage => ({
  topic: "llm.requests.v1",
  partition: 3,
  offset: String(offset),
  key: "trace",
  value: Buffer.from("{}"),
  headers,
  timestamp: Date.now(),
});

const batch: MessageBatch = {
  topic: "llm.requests.v1",
  partition: 3,
  messages: [
    message(10, { traceparent: `00-${GATEWAY_TRACE}-${spanIds[0]}-01` }),
    message(11, {}), // an event published without trace context (tracing off at the gateway)
    message(12, { traceparent: "00-broken" }),
    message(13, { traceparent: `00-${GATEWAY_TRACE}-${spanIds[1]}-01`, "x-dlq-reason": "kept" }),
  ],
};

function setup() {
  const mem = inMemoryTelemetry();
  const ingest = createIngestTelemetry({ telemetry: mem.telemetry, groupId: "switchyard-ingest", busKind: "kafka" });
  return { ...mem, ingest };
}

describe("ingest telemetry", () => {
  it("processes a batch in one CONSUMER span that links to every producing gateway span", async () => {
    const { ingest, spans } = setup();
    await ingest.processBatch(batch, async () => ({ deadLetters: 1 }));
    const [span] = spans();
    expect(span!.name).toBe("process llm.requests.v1");
    expect(span!.kind).toBe(SpanKind.CONSUMER);
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.attributes).toMatchObject({
      "messaging.system": "kafka",
      "messaging.operation.name": "process",
      "messaging.operation.type": "process",
      "messaging.destination.name": "llm.requests.v1",
      "messaging.destination.partition.id": "3",
      "messaging.consumer.group.name": "switchyard-ingest",
      "messaging.batch.message_count": 4,
      "switchyard.ingest.dead_letters": 1,
    });
    expect(span!.links.map((l) => [l.context.traceId, l.context.spanId, l.context.isRemote])).toEqual([
      [GATEWAY_TRACE, spanIds[0], true],
      [GATEWAY_TRACE, spanIds[1], true],
    ]);
  });

  it("marks a batch that could not be stored, and rethrows so the bus redelivers it", async () => {
    const { ingest, spans } = setup();
    const failure = new TypeError("clickhouse down");
    await expect(ingest.processBatch(batch, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(spans()[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(spans()[0]!.attributes["error.type"]).toBe("TypeError");
  });

  it("counts messages, dead letters, insert latency, rows and duplicates on /metrics", async () => {
    const { ingest, telemetry } = setup();
    await ingest.processBatch(batch, async () => ({ deadLetters: 1 }));
    ingest.recordInsert("requests", 0.042, { inserted: 3, duplicates: 1 });
    ingest.recordInsert("requests", 0.5, "error");
    const text = await telemetry.scrapeMetrics!();
    expect(text).toMatch(
      /switchyard_ingest_messages_total\{[^}]*messaging_destination_name="llm.requests.v1"[^}]*\} 4/,
    );
    expect(text).toMatch(/switchyard_ingest_dead_letters_total\{[^}]*\} 1/);
    expect(text).toMatch(/switchyard_ingest_insert_duration_bucket\{[^}]*switchyard_outcome="ok"[^}]*le="0.05"\} 1/);
    expect(text).toMatch(/switchyard_ingest_insert_duration_count\{[^}]*switchyard_outcome="error"[^}]*\} 1/);
    expect(text).toMatch(/switchyard_ingest_rows_written_total\{[^}]*switchyard_ingest_table="requests"[^}]*\} 3/);
    expect(text).toMatch(/switchyard_ingest_rows_duplicates_total\{[^}]*\} 1/);
  });

  it("reports consumer lag per partition from end and committed offsets, refreshed when stale", async () => {
    const mem = inMemoryTelemetry();
    const telemetry = mem.telemetry;
    const ingest = createIngestTelemetry({
      telemetry,
      groupId: "switchyard-ingest",
      busKind: "kafka",
      lagRefreshMs: 0,
    });
    let committed = "7";
    const bus = {
      endOffsets: async () =>
        new Map([
          [0, "10"],
          [1, "4"],
        ]),
      committedOffsets: async () => new Map([[0, committed]]),
    };
    const stop = ingest.observeLag(bus, ["llm.requests.v1"]);
    const text = await telemetry.scrapeMetrics!();
    expect(text).toMatch(/switchyard_ingest_consumer_lag\{[^}]*messaging_destination_partition_id="0"[^}]*\} 3/);
    expect(text).toMatch(/switchyard_ingest_consumer_lag\{[^}]*messaging_destination_partition_id="1"[^}]*\} 4/);
    committed = "10";
    expect(await telemetry.scrapeMetrics!()).toMatch(
      /switchyard_ingest_consumer_lag\{[^}]*messaging_destination_partition_id="0"[^}]*\} 0/,
    );
    stop();
  });

  it("with tracing off creates no span and still counts", async () => {
    const mem = inMemoryTelemetry({ tracing: false });
    const ingest = createIngestTelemetry({ telemetry: mem.telemetry, groupId: "g", busKind: "embedded" });
    await ingest.processBatch(batch, async () => ({ deadLetters: 0 }));
    expect(mem.spans()).toEqual([]);
    expect(await mem.telemetry.scrapeMetrics!()).toMatch(/switchyard_ingest_messages_total\{[^}]*\} 4/);
  });
});
