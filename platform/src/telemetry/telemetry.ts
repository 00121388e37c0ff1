import {
  createNoopMeter,
  type Meter,
  type MeterProvider,
  ProxyTracerProvider,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import { PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import type { MetricReader } from "@opentelemetry/sdk-metrics";
import { FastTracer, type FastTracerParts, type SpanStarter } from "./fast-span.ts";

/** What delivery of spans looks like so far (also on /metrics as switchyard.otel.spans.*). */
export interface SpanDeliveryStats {
  exported: number;
  /** Never reached the APM: queue full (collector too slow) or the export failed (unreachable, rejected). */
  dropped: { queueFull: number; exportFailed: number };
}

/**
 * One process' telemetry, built by startTelemetry() in main() (or by hand in tests) and handed to the
 * services. With tracing off `tracing` is false and `tracer()` returns the API's no-op tracer: callers
 * check `tracing` first and skip span work entirely.
 */
export interface Telemetry {
  readonly serviceName: string;
  readonly tracing: boolean;
  /** Prompt/completion content on spans (opt-in, default off). */
  readonly captureContent: boolean;
  /** Extracts an incoming request's trace context (tracecontext + baggage); null: OTEL_PROPAGATORS=none. */
  readonly propagator: TextMapPropagator | null;
  tracer(scope: string): Tracer;
  /**
   * For the span every request makes: a FastTracer on the tracer provider's own sampler, ids and
   * processor when those were given, else `tracer(scope)`. Child spans use `tracer()`.
   */
  requestSpans(scope: string): SpanStarter;
  meter(scope: string): Meter;
  /** The Prometheus text exposition of every metric of this process; null when the prometheus exporter is off. */
  readonly scrapeMetrics: (() => Promise<string>) | null;
  spanStats(): SpanDeliveryStats;
  /** Exports what is buffered (spans and OTLP metrics). Never rejects. */
  flush(): Promise<void>;
  /** Flushes, stops exporting, unregisters the globals it set. Never rejects. */
  shutdown(): Promise<void>;
}

export interface TelemetryParts {
  serviceName: string;
  tracerProvider: TracerProvider | null;
  /** The tracer provider's sampler, id generator, resource and processor, for requestSpans(). */
  fastTracing?: FastTracerParts;
  meterProvider: MeterProvider | null;
  /** A reader registered with meterProvider whose collect() feeds /metrics. */
  prometheusReader: MetricReader | null;
  propagator: TextMapPropagator | null;
  captureContent: boolean;
  spanStats?: () => SpanDeliveryStats;
  flush?: () => Promise<void>;
  shutdown?: () => Promise<void>;
}

const NOOP_METER = createNoopMeter();
/** A proxy with no delegate hands out no-op tracers, whatever is registered globally. */
const NOOP_TRACER_PROVIDER: TracerProvider = new ProxyTracerProvider();
const NO_SPANS: SpanDeliveryStats = { exported: 0, dropped: { queueFull: 0, exportFailed: 0 } };

/** A Telemetry over given providers: what startTelemetry returns, and what tests build with in-memory exporters. */
export function assembleTelemetry(parts: TelemetryParts): Telemetry {
  const { tracerProvider, meterProvider, prometheusReader } = parts;
  const tracers = new Map<string, Tracer>();
  const fastTracers = new Map<string, SpanStarter>();
  const meters = new Map<string, Meter>();
  const serializer = prometheusReader ? new PrometheusSerializer() : null;
  const tracer = (scope: string): Tracer => {
    let found = tracers.get(scope);
    if (!found) {
      found = (tracerProvider ?? NOOP_TRACER_PROVIDER).getTracer(scope);
      tracers.set(scope, found);
    }
    return found;
  };
  return {
    serviceName: parts.serviceName,
    tracing: tracerProvider !== null,
    captureContent: parts.captureContent,
    propagator: parts.propagator,
    tracer,
    requestSpans(scope) {
      if (!tracerProvider || !parts.fastTracing) return tracer(scope);
      let starter = fastTracers.get(scope);
      if (!starter) {
        starter = new FastTracer(scope, parts.fastTracing);
        fastTracers.set(scope, starter);
      }
      return starter;
    },
    meter(scope) {
      if (!meterProvider) return NOOP_METER;
      let meter = meters.get(scope);
      if (!meter) {
        meter = meterProvider.getMeter(scope);
        meters.set(scope, meter);
      }
      return meter;
    },
    scrapeMetrics:
      prometheusReader && serializer
        ? async () => {
            const { resourceMetrics } = await prometheusReader.collect();
            return serializer.serialize(resourceMetrics);
          }
        : null,
    spanStats: parts.spanStats ?? (() => NO_SPANS),
    flush: () => (parts.flush?.() ?? Promise.resolve()).catch(() => undefined),
    shutdown: () => (parts.shutdown?.() ?? Promise.resolve()).catch(() => undefined),
  };
}

/** Tracing off, metrics off: what services use when nothing was started (tests, libraries). */
export function disabledTelemetry(serviceName = "switchyard"): Telemetry {
  return assembleTelemetry({
    serviceName,
    tracerProvider: null,
    meterProvider: null,
    prometheusReader: null,
    propagator: null,
    captureContent: false,
  });
}
