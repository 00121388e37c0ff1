import { trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler } from "@opentelemetry/sdk-trace";
import { Topics } from "@switchyard/events";
import {
  GatewayEnv,
  gatewayConfigFrom,
  loadPriceOverrides,
  startGateway,
  startGatewayControlPlane,
} from "@switchyard/gateway";
import {
  assembleTelemetry,
  busConfigFrom,
  createLogger,
  incomingPropagator,
  KeyStore,
  openEventBus,
  parseEnv,
  SpoolingPublisher,
  startTelemetry,
  type Telemetry,
  TelemetryEnv,
  telemetrySettingsFrom,
} from "@switchyard/platform";

/**
 * The tracing bench's "stock SDK" arm: the standalone gateway (composed as gateway/src/main.ts does)
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

const env = parseEnv(GatewayEnv, process.env);
const config = gatewayConfigFrom(env);
const logger = createLogger({ name: "gateway", level: config.logLevel });
const busConfig = busConfigFrom(env, config.dataDir);
const bus = await openEventBus(busConfig, logger);
await bus.ensureTopics([Topics.requests, Topics.feedback].map((name) => ({ name, partitions: busConfig.partitions })));
const publisher = await SpoolingPublisher.start({
  bus,
  spoolDir: config.spoolDir,
  logger,
  maxQueueRecords: config.events.queueMax,
  maxBatchRecords: config.events.batchMax,
  lingerMs: config.events.lingerMs,
});
const keys = new KeyStore([], config.defaultTenant);
const control = await startGatewayControlPlane({ bus, logger, config, keys, env: process.env });
const gateway = await startGateway({
  config,
  logger,
  keys,
  publisher,
  priceOverrides: await loadPriceOverrides(config.pricingOverridesFile),
  control,
});
logger.info({ url: gateway.url, tracing: "stock SDK" }, "gateway listening");

process.once("SIGTERM", () => {
  void (async () => {
    await gateway.close();
    await control.stop();
    await publisher.close();
    await bus.close();
    await sdk.shutdown(); // exports the spans still batched
    await telemetry.shutdown();
    process.exit(0);
  })();
});
