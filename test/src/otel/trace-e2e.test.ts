import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import {
  observeEventPublisher,
  parseEnv,
  Scopes,
  startTelemetry,
  type Telemetry,
  TelemetryEnv,
  telemetrySettingsFrom,
} from "@switchyard/platform";
import type { RunningStack } from "@switchyard/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatBody, getJson, pollUntil, startTestStack, tempDir } from "../e2e/support.ts";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import { OtlpReceiver, OtlpSpanKind, type ReceivedSpan } from "./otlp-receiver.ts";
import { parsePrometheusText } from "./prometheus-text.ts";

/**
 * One application trace, end to end: an incoming W3C traceparent → the gateway's request span (a child of
 * the application's span; a single try needs no attempt span) → traceparent to the upstream → the event on the bus with
 * trace headers → ingest's consumer span linking back to the gateway span → analytics finding the request
 * by the OTel trace id as well as the Portkey one. Exported over real OTLP/HTTP protobuf to a receiver.
 */
const APP_TRACE = "0af7651916cd43dd8448eb211c80319c";
const APP_SPAN = "b7ad6b7169203331";

describe("OpenTelemetry end to end (embedded stack)", () => {
  const receiver = new OtlpReceiver();
  const upstream = new FakeOpenAIUpstream();
  let telemetry: Telemetry;
  let stack: RunningStack;
  let dataDir: string;
  let gatewayUrl: string;
  let analyticsUrl: string;

  beforeAll(async () => {
    await receiver.start();
    await upstream.start();
    // As stack/src/main.ts does: telemetry first, then the services.
    telemetry = startTelemetry(
      telemetrySettingsFrom(
        parseEnv(TelemetryEnv, {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_SERVICE_NAME: "switchyard",
          OTEL_BSP_SCHEDULE_DELAY: "20",
        }),
        "switchyard",
      ),
    );
    dataDir = await tempDir("otel-e2e");
    stack = await startTestStack({ DATA_DIR: dataDir, INGEST_FLUSH_INTERVAL_MS: "50" });
    const publisher = stack.publisher!;
    observeEventPublisher(telemetry.meter(Scopes.events), () => publisher.stats());
    gatewayUrl = stack.gateway!.url;
    analyticsUrl = stack.analytics!.url;
  });
  afterAll(async () => {
    await stack?.stop();
    await telemetry?.shutdown();
    await upstream.stop();
    await receiver.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const chat = (headers: Record<string, string>) =>
    fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer sk-upstream-key",
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": upstream.baseUrl,
        ...headers,
      },
      body: chatBody("hello", { temperature: 0.3, max_tokens: 50 }),
    });

  const span = (what: string, match: (s: ReceivedSpan) => boolean) =>
    pollUntil(async () => {
      await telemetry.flush();
      return receiver.spans.find(match);
    }, what);

  it("continues the application's trace through gateway, upstream, bus and ingest", async () => {
    const response = await chat({
      traceparent: `00-${APP_TRACE}-${APP_SPAN}-01`,
      baggage: "app.feature=checkout",
      "x-portkey-trace-id": "otel-e2e-trace",
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();

    const request = await span("gateway request span", (s) => s.traceId === APP_TRACE && s.parentSpanId === APP_SPAN);
    expect(request).toMatchObject({
      serviceName: "switchyard",
      name: "chat gpt-4o-mini",
      kind: OtlpSpanKind.client,
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.3,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.usage.input_tokens": 42,
        "gen_ai.usage.output_tokens": 17,
        "server.address": "127.0.0.1",
        "switchyard.trace_id": "otel-e2e-trace",
        "switchyard.tenant.id": "default",
      },
    });
    expect(request.attributes["gen_ai.response.model"]).toEqual(expect.any(String));
    expect(request.attributes["switchyard.cost.nano_usd"]).toBeGreaterThan(0);

    // A single try needs no attempt span (the request span is the CLIENT inference span; attempt
    // spans appear when a retry or fallback happens), so the upstream's parent is the request span.
    const sent = upstream.requests.at(-1)!;
    expect(String(sent.headers.traceparent)).toBe(`00-${APP_TRACE}-${request.spanId}-01`);

    // Ingest's consumer span links to the gateway span through the bus record's headers.
    const consumer = await span("ingest consumer span", (s) =>
      s.links.some((l) => l.traceId === APP_TRACE && l.spanId === request.spanId),
    );
    expect(consumer).toMatchObject({ name: "process llm.requests.v1", kind: OtlpSpanKind.consumer });
    expect(consumer.attributes).toMatchObject({
      "messaging.system": "switchyard_log",
      "messaging.destination.name": "llm.requests.v1",
      "messaging.consumer.group.name": "switchyard-ingest",
    });

    // Analytics answers for the OTel trace id and for the Portkey one: the same request.
    for (const id of [APP_TRACE, "otel-e2e-trace"]) {
      const trace = await pollUntil(async () => {
        const { status, body } = await getJson<{ requests: Array<Record<string, unknown>> }>(
          `${analyticsUrl}/v1/traces/${id}`,
        );
        return status === 200 ? body : undefined;
      }, `trace lookup ${id}`);
      expect(trace.requests).toHaveLength(1);
      expect(trace.requests[0]).toMatchObject({
        trace_id: "otel-e2e-trace",
        otel_trace_id: APP_TRACE,
        otel_span_id: request.spanId,
      });
    }
  });

  it("starts a fresh trace for a malformed traceparent or baggage and answers normally", async () => {
    const response = await chat({
      traceparent: "00-zzzz-not-hex-01",
      baggage: "=;;%%%",
      "x-portkey-trace-id": "otel-e2e-malformed",
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const root = await span(
      "fresh request span",
      (s) => s.attributes["switchyard.trace_id"] === "otel-e2e-malformed" && s.parentSpanId === "",
    );
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    const trace = await pollUntil(async () => {
      const { status, body } = await getJson<{ requests: Array<Record<string, unknown>> }>(
        `${analyticsUrl}/v1/traces/${root.traceId}`,
      );
      return status === 200 ? body : undefined;
    }, "trace lookup by the fresh trace id");
    expect(trace.requests[0]).toMatchObject({ trace_id: "otel-e2e-malformed", otel_span_id: root.spanId });
  });

  it("serves every part's metrics on gateway and analytics /metrics", async () => {
    for (const base of [gatewayUrl, analyticsUrl]) {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain");
      const scrape = parsePrometheusText(await res.text());
      expect(scrape.types.get("gen_ai_client_operation_duration")).toBe("histogram");
      expect(scrape.sum("gen_ai_client_operation_duration_count", { gen_ai_provider_name: "openai" })).toBeGreaterThan(
        0,
      );
      expect(scrape.sum("gen_ai_client_token_usage_sum", { gen_ai_token_type: "input" })).toBeGreaterThanOrEqual(42);
      expect(scrape.sum("switchyard_gateway_requests_total")).toBeGreaterThanOrEqual(2);
      expect(scrape.sum("switchyard_gateway_cost_nano_usd_total")).toBeGreaterThan(0);
      expect(scrape.find("switchyard_events_queue_depth")).not.toHaveLength(0);
      expect(scrape.find("switchyard_events_spool_records")).not.toHaveLength(0);
      expect(scrape.sum("switchyard_ingest_messages_total")).toBeGreaterThanOrEqual(1);
      expect(scrape.find("switchyard_ingest_insert_duration_count")).not.toHaveLength(0);
      expect(scrape.find("switchyard_ingest_consumer_lag")).not.toHaveLength(0);
      expect(scrape.sum("switchyard_otel_spans_exported_total")).toBeGreaterThan(0);
      // Bounded labels: no trace ids, tenants or users.
      for (const sample of scrape.samples) {
        const labels = Object.keys(sample.labels);
        expect(labels.filter((l) => /trace_id|tenant|user|metadata/.test(l))).toEqual([]);
      }
    }
  });
});

describe("OpenTelemetry with an unreachable OTLP endpoint", () => {
  const upstream = new FakeOpenAIUpstream();
  let telemetry: Telemetry;
  let stack: RunningStack;
  let dataDir: string;

  beforeAll(async () => {
    await upstream.start();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    telemetry = startTelemetry(
      telemetrySettingsFrom(
        parseEnv(TelemetryEnv, {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
          OTEL_BSP_SCHEDULE_DELAY: "20",
          OTEL_EXPORTER_OTLP_TIMEOUT: "500",
        }),
        "switchyard",
      ),
    );
    dataDir = await tempDir("otel-unreachable");
    stack = await startTestStack({ DATA_DIR: dataDir, INGEST_FLUSH_INTERVAL_MS: "50" });
  });
  afterAll(async () => {
    await stack?.stop();
    await telemetry?.shutdown();
    await upstream.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("answers every request normally and counts the spans it could not deliver", async () => {
    const url = `${stack.gateway!.url}/v1/chat/completions`;
    const statuses = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const res = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: "Bearer sk-upstream-key",
            "x-portkey-provider": "openai",
            "x-portkey-custom-host": upstream.baseUrl,
            traceparent: `00-${APP_TRACE}-${APP_SPAN}-01`,
          },
          body: chatBody("hello"),
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    // One request span per single-try request: 40 spans that could not be delivered.
    await pollUntil(
      () => (telemetry.spanStats().dropped.exportFailed >= 40 ? true : undefined),
      "failed exports counted",
    );
    const scrape = parsePrometheusText(await (await fetch(`${stack.gateway!.url}/metrics`)).text());
    expect(
      scrape.sum("switchyard_otel_spans_dropped_total", { switchyard_otel_drop_reason: "export_failed" }),
    ).toBeGreaterThanOrEqual(40);
    expect(telemetry.spanStats().exported).toBe(0);
  });
});
