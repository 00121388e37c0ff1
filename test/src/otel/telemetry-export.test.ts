import { createServer } from "node:net";
import {
  parseEnv,
  SpanKind,
  startTelemetry,
  type Telemetry,
  TelemetryEnv,
  telemetrySettingsFrom,
} from "@switchyard/platform";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { pollUntil } from "../e2e/support.ts";
import { decodeTraceExport, encodeTraceExport, OtlpReceiver, OtlpSpanKind } from "./otlp-receiver.ts";
import { parsePrometheusText } from "./prometheus-text.ts";

/** startTelemetry from an env as main() would parse it. */
function start(env: Record<string, string>): Telemetry {
  return startTelemetry(telemetrySettingsFrom(parseEnv(TelemetryEnv, env), "switchyard-test"));
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("OTLP/HTTP receiver", () => {
  it("decodes a protobuf trace export with the OTLP definitions", () => {
    const traceId = Buffer.from("4bf92f3577b34da6a3ce929d0e0e4736", "hex");
    const bytes = encodeTraceExport({
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "svc" } }] },
          scopeSpans: [
            {
              scope: { name: "scope" },
              spans: [
                {
                  traceId,
                  spanId: Buffer.from("00f067aa0ba902b7", "hex"),
                  name: "chat m",
                  kind: 3,
                  attributes: [
                    { key: "n", value: { intValue: 42 } },
                    { key: "a", value: { arrayValue: { values: [{ stringValue: "stop" }] } } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const [span] = decodeTraceExport(Buffer.from(bytes), "application/x-protobuf");
    expect(span).toMatchObject({
      serviceName: "svc",
      scope: "scope",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      parentSpanId: "",
      name: "chat m",
      kind: OtlpSpanKind.client,
      attributes: { n: 42, a: ["stop"] },
    });
  });
});

describe("startTelemetry", () => {
  const receiver = new OtlpReceiver();
  let telemetry: Telemetry | null = null;
  beforeAll(async () => {
    await receiver.start();
  });
  afterEach(async () => {
    await telemetry?.shutdown();
    telemetry = null;
    receiver.failWith = null;
  });
  afterAll(async () => {
    await receiver.stop();
  });

  it("without an endpoint creates no tracer provider but serves /metrics", async () => {
    telemetry = start({});
    expect(telemetry.tracing).toBe(false);
    const span = telemetry.tracer("t").startSpan("x");
    expect(span.isRecording()).toBe(false);
    telemetry.meter("t").createCounter("switchyard.test.things").add(2);
    const scrape = parsePrometheusText(await telemetry.scrapeMetrics!());
    expect(scrape.sum("switchyard_test_things_total")).toBe(2);
    expect(scrape.find("target_info")[0]?.labels.service_name).toBe("switchyard-test");
  });

  it("OTEL_SDK_DISABLED and OTEL_METRICS_EXPORTER=none turn things off", async () => {
    telemetry = start({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    expect(telemetry.tracing).toBe(false);
    expect(telemetry.scrapeMetrics).toBeNull();
    await telemetry.shutdown();
    telemetry = start({ OTEL_METRICS_EXPORTER: "none" });
    expect(telemetry.scrapeMetrics).toBeNull();
  });

  it("exports spans over OTLP/HTTP protobuf with the service name and resource attributes", async () => {
    telemetry = start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: "switchyard-gateway-test",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=ci,team=platform%20eng",
      OTEL_METRICS_EXPORTER: "prometheus",
    });
    expect(telemetry.tracing).toBe(true);
    const tracer = telemetry.tracer("switchyard.test");
    const parent = tracer.startSpan("parent", { kind: SpanKind.CLIENT, attributes: { "gen_ai.request.model": "m" } });
    parent.end();
    await telemetry.flush();
    const span = await pollUntil(() => receiver.spans.find((s) => s.spanId === parent.spanContext().spanId), "export");
    expect(span).toMatchObject({
      serviceName: "switchyard-gateway-test",
      name: "parent",
      kind: OtlpSpanKind.client,
      attributes: { "gen_ai.request.model": "m" },
    });
    expect(telemetry.spanStats()).toMatchObject({ exported: 1, dropped: { queueFull: 0, exportFailed: 0 } });
    const scrape = parsePrometheusText(await telemetry.scrapeMetrics!());
    expect(scrape.sum("switchyard_otel_spans_exported_total")).toBe(1);
  });

  it("honours OTEL_TRACES_SAMPLER=always_off: nothing is exported", async () => {
    telemetry = start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: "always_off" });
    const span = telemetry.tracer("t").startSpan("never");
    expect(span.isRecording()).toBe(false);
    span.end();
    await telemetry.flush();
    expect(receiver.spans.some((s) => s.name === "never")).toBe(false);
  });

  it("pushes metrics over OTLP when an endpoint is set", async () => {
    telemetry = start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRIC_EXPORT_INTERVAL: "600000" });
    telemetry.meter("t").createCounter("switchyard.test.pushed").add(1);
    await telemetry.flush();
    await pollUntil(() => (receiver.metricNames.has("switchyard.test.pushed") ? true : undefined), "metric export");
  });

  it("an unreachable endpoint never blocks span creation; the lost spans are counted", async () => {
    telemetry = start({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: "1000",
      OTEL_BSP_SCHEDULE_DELAY: "10",
    });
    const tracer = telemetry.tracer("t");
    const started = performance.now();
    for (let i = 0; i < 1_000; i++) tracer.startSpan(`s${i}`).end();
    // Ending a span only queues it: a thousand of them take milliseconds, whatever the endpoint does.
    expect(performance.now() - started).toBeLessThan(1_000);
    await pollUntil(() => (telemetry!.spanStats().dropped.exportFailed === 1_000 ? true : undefined), "failed exports");
    const scrape = parsePrometheusText(await telemetry.scrapeMetrics!());
    expect(scrape.sum("switchyard_otel_spans_dropped_total", { switchyard_otel_drop_reason: "export_failed" })).toBe(
      1_000,
    );
  });

  it("a full queue drops (and counts) spans instead of growing or waiting", async () => {
    receiver.failWith = 400; // rejected outright (a 503 would be retried)
    telemetry = start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_MAX_QUEUE_SIZE: "100",
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "50",
      OTEL_BSP_SCHEDULE_DELAY: "60000",
    });
    const tracer = telemetry.tracer("t");
    for (let i = 0; i < 1_000; i++) tracer.startSpan(`q${i}`).end();
    const stats = telemetry.spanStats();
    expect(stats.dropped.queueFull).toBeGreaterThanOrEqual(850);
    const scrape = parsePrometheusText(await telemetry.scrapeMetrics!());
    expect(scrape.sum("switchyard_otel_spans_dropped_total", { switchyard_otel_drop_reason: "queue_full" })).toBe(
      stats.dropped.queueFull,
    );
  });
});
