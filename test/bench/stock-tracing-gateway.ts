import { trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler } from "@opentelemetry/sdk-trace";
import { runGateway } from "@switchyard/gateway";
import {
  assembleTelemetry,
  incomingPropagator,
  parseEnv,
  startTelemetry,
  type Telemetry,
  TelemetryEnv,
  telemetrySettingsFrom,
} from "@switchyard/platform";

/**
 * The tracing bench's "stock SDK" arm: the standalone gateway (gateway/src/main.ts's runGateway)
 * with tracing done the way the OpenTelemetry SDK does it out of the box, to weigh the custom path
 * (platform/src/telemetry: FastTracer for the request span, ProtoBatchSpanProcessor encoding OTLP
 * protobuf itself) against: every span from the SDK tracer, the SDK's BatchSpanProcessor and the
 * stock OTLPTraceExporter (http/protobuf) — same endpoint, sampler, resource attributes, batch sizes,
 * propagators and context manager. Metrics are the real startTelemetry's (tracing off there).
 */
const settings = telemetrySettingsFrom(parseEnv(TelemetryEnv, process.env), "switchyard-gateway");
const traces = settings.traces;
if (!traces) throw new Error("stock-tracing-gateway needs OTEL_EXPORTER_OTLP_ENDPOINT");
const telemetry = startTelemetry({ ...settings, traces: null });
const sdk = new NodeSDK({
  serviceName: settings.serviceName,
  autoDetectResources: false,
  contextManager: new AsyncLocalStorageContextManager(),
  textMapPropagator: incomingPropagator,
  sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  spanLimits: { linkCountLimit: settings.linkCountLimit, attributeCountLimit: 128 },
  spanProcessors: [
    new BatchSpanProcessor({
      exporter: new OTLPTraceExporter({ url: traces.url, headers: traces.headers }),
      maxQueueSize: traces.batch.maxQueueSize,
      maxExportBatchSize: Math.min(traces.batch.maxExportBatchSize, traces.batch.maxQueueSize),
      scheduledDelayMillis: traces.batch.scheduledDelayMs,
      exportTimeoutMillis: traces.batch.exportTimeoutMs,
    }),
  ],
  metricReaders: [],
  logRecordProcessors: [],
  instrumentations: [],
});
sdk.start();
// startGateway reads the process' telemetry (activeTelemetry(), the object startTelemetry returned)
// and has no parameter for another: its tracing members are swapped for the SDK-only ones, before
// the gateway is built. Without fastTracing, requestSpans() is the SDK tracer.
const stock = assembleTelemetry({
  serviceName: settings.serviceName,
  tracerProvider: trace.getTracerProvider(),
  meterProvider: null,
  prometheusReader: null,
  propagator: incomingPropagator,
  captureContent: settings.captureContent,
});
Object.assign(telemetry as { -readonly [K in keyof Telemetry]: Telemetry[K] }, {
  tracing: true,
  tracer: stock.tracer,
  requestSpans: stock.requestSpans,
  propagator: stock.propagator,
});

const { shutdown } = await runGateway(telemetry);

process.once("SIGTERM", () => {
  void (async () => {
    await shutdown(); // gateway, control plane, publisher, bus, then the metrics side
    await sdk.shutdown(); // exports the spans still batched
    process.exit(0);
  })();
});
