import { hostname } from "node:os";
import {
  type MeterProvider as ApiMeterProvider,
  context,
  metrics,
  propagation,
  type TextMapPropagator,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPMetricExporter as GrpcMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { OTLPMetricExporter as JsonMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { OTLPTraceExporter as GrpcTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { NodeSDK } from "@opentelemetry/sdk-node";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  RandomIdGenerator,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import {
  ATTR_HOST_NAME,
  ATTR_PROCESS_PID,
  ATTR_SERVICE_INSTANCE_ID,
} from "@opentelemetry/semantic-conventions/incubating";
import type { FastTracerParts } from "./fast-span.ts";
import { Scopes } from "./names.ts";
import { otlpHttpSender } from "./otlp-proto/http-sender.ts";
import { ProtoBatchSpanProcessor } from "./otlp-proto/span-processor.ts";
import { SpanDelivery } from "./span-delivery.ts";
import { assembleTelemetry, disabledTelemetry, type Telemetry } from "./telemetry.ts";
import type { OtlpTarget, SamplerName, TelemetrySettings } from "./telemetry-env.ts";

let active: Telemetry | null = null;

/** The SDK's default attribute count limit per span, for SDK and fast spans alike. */
const ATTRIBUTE_COUNT_LIMIT = 128;

/**
 * The telemetry main() started in this process, or a disabled one. Services built without an
 * explicit Telemetry (the one-process stack composes them) read this; nothing reads the environment.
 */
export function activeTelemetry(): Telemetry {
  return active ?? disabledTelemetry();
}

/**
 * Starts OpenTelemetry for one process: call it first thing in main(), before any service is built.
 * Importing this module does nothing; everything happens here, from settings parsed once
 * (telemetrySettingsFrom). Tracing runs on @opentelemetry/sdk-node only when an OTLP endpoint is
 * configured; without one no tracer provider, context manager or span exists. Metrics run when the
 * Prometheus endpoint or OTLP metric push is on. Exporting is always in the background: an
 * unreachable endpoint costs failed exports (counted), never a slower request.
 */
export function startTelemetry(settings: TelemetrySettings): Telemetry {
  const resource = defaultResource().merge(
    resourceFromAttributes({
      [ATTR_HOST_NAME]: hostname(),
      [ATTR_PROCESS_PID]: process.pid,
      [ATTR_SERVICE_INSTANCE_ID]: `${hostname()}-${process.pid}`,
      ...settings.resourceAttributes,
      [ATTR_SERVICE_NAME]: settings.serviceName,
    }),
  );

  const readers: MetricReader[] = [];
  const prometheusReader = settings.prometheus ? new PrometheusExporter({ preventServerStart: true }) : null;
  if (prometheusReader) readers.push(prometheusReader);
  if (settings.metricsOtlp) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: metricExporter(settings.metricsOtlp),
        exportIntervalMillis: settings.metricsOtlp.intervalMs,
        exportTimeoutMillis: Math.min(settings.metricsOtlp.exportTimeoutMs, settings.metricsOtlp.intervalMs),
      }),
    );
  }
  const meterProvider = readers.length > 0 ? new MeterProvider({ resource, readers }) : null;
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);

  const propagator = incomingPropagator(settings.propagation);
  let sdk: NodeSDK | null = null;
  let fastTracing: FastTracerParts | undefined;
  let delivery: SpanDelivery | null = null;
  let closeSender = () => {};
  const traces = settings.traces;
  if (traces) {
    const selfMeter = (meterProvider ?? metrics.getMeterProvider()).getMeter(Scopes.telemetry);
    delivery = new SpanDelivery(traces.batch.maxQueueSize, selfMeter);
    const spanProcessor = spanPipeline(traces, delivery, meterProvider);
    closeSender = spanProcessor.close;
    // The request path's FastTracer shares these very objects with the SDK's tracers (resource
    // included: service.name is already in it, so NodeSDK uses it as is).
    fastTracing = {
      sampler: sampler(traces.sampler, traces.samplerArg),
      idGenerator: new RandomIdGenerator(),
      resource,
      processor: spanProcessor.processor,
      attributeCountLimit: ATTRIBUTE_COUNT_LIMIT,
    };
    sdk = new NodeSDK({
      resource,
      autoDetectResources: false,
      contextManager: new AsyncLocalStorageContextManager(),
      textMapPropagator: propagator,
      sampler: fastTracing.sampler,
      idGenerator: fastTracing.idGenerator,
      spanLimits: { linkCountLimit: settings.linkCountLimit, attributeCountLimit: ATTRIBUTE_COUNT_LIMIT },
      spanProcessors: [spanProcessor.processor],
      // Metrics are set up above (the span processor reports to them); logs stay with pino.
      metricReaders: [],
      logRecordProcessors: [],
      instrumentations: [],
    });
    sdk.start();
  }

  let stopped: Promise<void> | null = null;
  const telemetry = assembleTelemetry({
    serviceName: settings.serviceName,
    tracerProvider: sdk ? trace.getTracerProvider() : null,
    ...(fastTracing ? { fastTracing } : {}),
    meterProvider: meterProvider as ApiMeterProvider | null,
    prometheusReader,
    propagator,
    captureContent: settings.captureContent,
    spanStats: () =>
      delivery
        ? { exported: delivery.stats.exported, dropped: { ...delivery.stats.dropped } }
        : { exported: 0, dropped: { queueFull: 0, exportFailed: 0 } },
    flush: async () => {
      const tracerProvider = sdk ? (trace.getTracerProvider() as { forceFlush?: () => Promise<void> }) : null;
      await Promise.allSettled([tracerProvider?.forceFlush?.(), meterProvider?.forceFlush()]);
    },
    shutdown: () => {
      stopped ??= (async () => {
        await Promise.allSettled([sdk?.shutdown(), meterProvider?.shutdown()]);
        closeSender();
        if (sdk) {
          trace.disable();
          context.disable();
          propagation.disable();
        }
        if (meterProvider) metrics.disable();
        if (active === telemetry) active = null;
      })();
      return stopped;
    },
  });
  active = telemetry;
  return telemetry;
}

type TracesSettings = NonNullable<TelemetrySettings["traces"]>;

/**
 * The span pipeline for the configured protocol. http/protobuf (the default) encodes each span as it
 * ends (ProtoBatchSpanProcessor: cheaper per span, and no ended span lingers until export); http/json
 * and grpc use the SDK's BatchSpanProcessor and OTLP exporters. Both are counted by `delivery`.
 */
function spanPipeline(
  traces: TracesSettings,
  delivery: SpanDelivery,
  meterProvider: MeterProvider | null,
): { processor: SpanProcessor; close: () => void } {
  const { batch } = traces;
  const maxExportBatchSize = Math.min(batch.maxExportBatchSize, batch.maxQueueSize);
  if (traces.protocol === "http/protobuf") {
    const sender = otlpHttpSender(traces);
    const processor = new ProtoBatchSpanProcessor({
      send: sender.send,
      outcomes: delivery.outcomes,
      maxQueueSize: batch.maxQueueSize,
      maxExportBatchSize,
      scheduledDelayMs: batch.scheduledDelayMs,
      exportTimeoutMs: batch.exportTimeoutMs,
    });
    return { processor, close: sender.close };
  }
  const sdkBatch = new BatchSpanProcessor({
    exporter: delivery.exporter(traceExporter({ ...traces, protocol: traces.protocol })),
    maxQueueSize: batch.maxQueueSize,
    maxExportBatchSize,
    scheduledDelayMillis: batch.scheduledDelayMs,
    exportTimeoutMillis: batch.exportTimeoutMs,
    ...(meterProvider ? { selfObsMeterProvider: meterProvider } : {}),
  });
  return { processor: delivery.processor(sdkBatch), close: () => {} };
}

function incomingPropagator(p: TelemetrySettings["propagation"]): TextMapPropagator | null {
  const propagators: TextMapPropagator[] = [];
  if (p.traceContext) propagators.push(new W3CTraceContextPropagator());
  if (p.baggage) propagators.push(new W3CBaggagePropagator());
  if (propagators.length === 0) return null;
  return propagators.length === 1 ? propagators[0]! : new CompositePropagator({ propagators });
}

function sampler(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return new TraceIdRatioBasedSampler(ratio);
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

function traceExporter(target: OtlpTarget & { protocol: "http/json" | "grpc" }): SpanExporter {
  const common = { url: target.url, timeoutMillis: target.timeoutMs };
  switch (target.protocol) {
    case "grpc":
      // gRPC metadata (headers) comes from OTEL_EXPORTER_OTLP_HEADERS, which the exporter reads itself.
      return new GrpcTraceExporter(common);
    case "http/json":
      return new JsonTraceExporter({ ...common, headers: target.headers });
  }
}

function metricExporter(target: OtlpTarget) {
  const common = { url: target.url, timeoutMillis: target.timeoutMs };
  switch (target.protocol) {
    case "grpc":
      return new GrpcMetricExporter(common);
    case "http/json":
      return new JsonMetricExporter({ ...common, headers: target.headers });
    case "http/protobuf":
      return new ProtoMetricExporter({ ...common, headers: target.headers });
  }
}
