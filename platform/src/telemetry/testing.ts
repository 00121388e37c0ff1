import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { defaultResource } from "@opentelemetry/resources";
import { MeterProvider, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  RandomIdGenerator,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { assembleTelemetry, type Telemetry } from "./telemetry.ts";
import { incomingPropagator } from "./trace-headers.ts";

export type { ReadableSpan, ResourceMetrics };

export interface InMemoryTelemetry {
  telemetry: Telemetry;
  /** Every span ended so far, in end order. */
  spans(): ReadableSpan[];
  /** Collects every metric now. */
  metrics(): Promise<ResourceMetrics>;
  reset(): void;
}

/**
 * Test telemetry: spans go to an in-memory exporter (synchronously, on end), metrics are collected
 * on demand and served as /metrics text. Nothing is registered globally, so tests stay independent.
 */
export function inMemoryTelemetry(options: { tracing?: boolean; captureContent?: boolean } = {}): InMemoryTelemetry {
  const exporter = new InMemorySpanExporter();
  const tracing = options.tracing ?? true;
  // One sampler, resource and processor for the SDK's tracers and the request path's FastTracer.
  const fastTracing = {
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    idGenerator: new RandomIdGenerator(),
    resource: defaultResource(),
    processor: new SimpleSpanProcessor({ exporter }),
    attributeCountLimit: 128,
  };
  const tracerProvider = tracing
    ? new TracerProvider({
        sampler: fastTracing.sampler,
        resource: fastTracing.resource,
        spanProcessors: [fastTracing.processor],
        spanLimits: { linkCountLimit: 1024, attributeCountLimit: fastTracing.attributeCountLimit },
      })
    : null;
  const reader = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const telemetry = assembleTelemetry({
    serviceName: "switchyard-test",
    tracerProvider,
    fastTracing,
    meterProvider,
    prometheusReader: reader,
    propagator: incomingPropagator,
    captureContent: options.captureContent ?? false,
    shutdown: async () => {
      await Promise.allSettled([tracerProvider?.shutdown(), meterProvider.shutdown()]);
    },
  });
  return {
    telemetry,
    spans: () => exporter.getFinishedSpans(),
    metrics: async () => (await reader.collect()).resourceMetrics,
    reset: () => exporter.reset(),
  };
}
