import { z } from "zod";

/**
 * The standard OpenTelemetry environment variables Switchyard reads (parsed once, in main()),
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/ — plus
 * OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, the GenAI instrumentations' content switch.
 * Tracing is on only when an OTLP endpoint is set: with none, no tracer provider exists at all.
 */
const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = v?.trim().toLowerCase();
      if (s === undefined || s === "") return fallback;
      if (s === "true" || s === "1") return true;
      if (s === "false" || s === "0") return false;
      ctx.addIssue({ code: "custom", message: "must be true or false" });
      return z.NEVER;
    });
const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));
const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
const count = z.coerce.number().int().positive().optional();
const protocol = z.enum(["http/protobuf", "http/json", "grpc"]).optional();
const sampler = z
  .enum([
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
  ])
  .optional();

export const TelemetryEnv = z.object({
  OTEL_SDK_DISABLED: bool(false),
  OTEL_SERVICE_NAME: optional,
  OTEL_RESOURCE_ATTRIBUTES: optional,
  OTEL_EXPORTER_OTLP_ENDPOINT: optional,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional,
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: optional,
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_HEADERS: optional,
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: optional,
  OTEL_EXPORTER_OTLP_METRICS_HEADERS: optional,
  OTEL_EXPORTER_OTLP_TIMEOUT: count,
  /** otlp (default) or none. */
  OTEL_TRACES_EXPORTER: list,
  /** Default here: prometheus (the /metrics endpoint), plus otlp when an endpoint is set; or none. */
  OTEL_METRICS_EXPORTER: list,
  OTEL_TRACES_SAMPLER: sampler,
  OTEL_TRACES_SAMPLER_ARG: optional,
  /** tracecontext,baggage (default) or none: which incoming headers continue a trace. */
  OTEL_PROPAGATORS: list,
  OTEL_BSP_SCHEDULE_DELAY: count,
  OTEL_BSP_EXPORT_TIMEOUT: count,
  OTEL_BSP_MAX_QUEUE_SIZE: count,
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: count,
  OTEL_METRIC_EXPORT_INTERVAL: count,
  OTEL_METRIC_EXPORT_TIMEOUT: count,
  OTEL_SPAN_LINK_COUNT_LIMIT: count,
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: bool(false),
});
export type TelemetryEnv = z.infer<typeof TelemetryEnv>;

export type OtlpProtocol = "http/protobuf" | "http/json" | "grpc";
export type SamplerName = NonNullable<TelemetryEnv["OTEL_TRACES_SAMPLER"]>;

export interface OtlpTarget {
  /** Full URL of the signal's endpoint (http: …/v1/traces; grpc: host:port URL). */
  url: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
  timeoutMs: number;
}

export interface TelemetrySettings {
  serviceName: string;
  /** From OTEL_RESOURCE_ATTRIBUTES; service.name from OTEL_SERVICE_NAME wins over the default. */
  resourceAttributes: Record<string, string>;
  /** null: tracing off — no tracer provider, no span objects, nothing exported. */
  traces: (OtlpTarget & { batch: BatchSettings; sampler: SamplerName; samplerArg: number }) | null;
  /** OTLP metric push, or null. */
  metricsOtlp: (OtlpTarget & { intervalMs: number; exportTimeoutMs: number }) | null;
  /** Serve the Prometheus text format (GET /metrics). */
  prometheus: boolean;
  /** Incoming trace context: W3C traceparent/tracestate and baggage, or none at all. */
  propagation: { traceContext: boolean; baggage: boolean };
  /** Prompt and completion content on spans (gen_ai.input.messages / gen_ai.output.messages). */
  captureContent: boolean;
  linkCountLimit: number;
}

export interface BatchSettings {
  scheduledDelayMs: number;
  exportTimeoutMs: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

/**
 * Batch span processor defaults sized for thousands of spans per second: a 1 s schedule and 2048-span
 * batches drain ~8k spans/s at a few exports per second, and a 32k queue absorbs ~4 s of a stalled
 * collector before spans are dropped (and counted). The SDK's own defaults (5 s, 512, 2048) would drop
 * spans above ~400/s.
 */
export const DEFAULT_BATCH: BatchSettings = {
  scheduledDelayMs: 1_000,
  exportTimeoutMs: 10_000,
  maxQueueSize: 32_768,
  maxExportBatchSize: 2_048,
};

/** `key=value,key2=value2`, percent-decoded; malformed entries are skipped (spec: never fail start-up). */
export function parseKeyValueList(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of (raw ?? "").split(",")) {
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    try {
      const key = decodeURIComponent(entry.slice(0, eq).trim());
      const value = decodeURIComponent(entry.slice(eq + 1).trim());
      if (key) out[key] = value;
    } catch {
      // a malformed percent-encoding: skip this entry only
    }
  }
  return out;
}

function signalUrl(base: string | undefined, specific: string | undefined, path: string, proto: OtlpProtocol) {
  if (specific) return specific;
  if (!base) return undefined;
  // gRPC takes the base endpoint as is; HTTP appends the signal path to it (spec).
  return proto === "grpc" ? base : `${base.replace(/\/+$/, "")}/${path}`;
}

export function telemetrySettingsFrom(env: TelemetryEnv, defaultServiceName: string): TelemetrySettings {
  const resourceAttributes = parseKeyValueList(env.OTEL_RESOURCE_ATTRIBUTES);
  const serviceName = env.OTEL_SERVICE_NAME ?? resourceAttributes["service.name"] ?? defaultServiceName;
  const off = env.OTEL_SDK_DISABLED;
  const baseProtocol = env.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf";
  const headers = parseKeyValueList(env.OTEL_EXPORTER_OTLP_HEADERS);
  const timeoutMs = env.OTEL_EXPORTER_OTLP_TIMEOUT ?? 10_000;

  const tracesProtocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? baseProtocol;
  const tracesUrl = signalUrl(
    env.OTEL_EXPORTER_OTLP_ENDPOINT,
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    "v1/traces",
    tracesProtocol,
  );
  const tracesOn = !off && tracesUrl !== undefined && !env.OTEL_TRACES_EXPORTER.includes("none");

  const metricsProtocol = env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? baseProtocol;
  const metricsUrl = signalUrl(
    env.OTEL_EXPORTER_OTLP_ENDPOINT,
    env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
    "v1/metrics",
    metricsProtocol,
  );
  const metricExporters = env.OTEL_METRICS_EXPORTER;
  const explicitMetrics = metricExporters.length > 0;
  const metricsNone = metricExporters.includes("none");
  const otlpMetricsOn =
    !off && !metricsNone && metricsUrl !== undefined && (!explicitMetrics || metricExporters.includes("otlp"));
  const prometheus = !off && !metricsNone && (!explicitMetrics || metricExporters.includes("prometheus"));

  const propagators = env.OTEL_PROPAGATORS.length > 0 ? env.OTEL_PROPAGATORS : ["tracecontext", "baggage"];
  const none = propagators.includes("none");
  const samplerArg = Number(env.OTEL_TRACES_SAMPLER_ARG ?? "1");

  return {
    serviceName,
    resourceAttributes,
    traces: tracesOn
      ? {
          url: tracesUrl,
          protocol: tracesProtocol,
          headers: { ...headers, ...parseKeyValueList(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) },
          timeoutMs,
          sampler: env.OTEL_TRACES_SAMPLER ?? "parentbased_always_on",
          samplerArg: Number.isFinite(samplerArg) && samplerArg >= 0 && samplerArg <= 1 ? samplerArg : 1,
          batch: {
            scheduledDelayMs: env.OTEL_BSP_SCHEDULE_DELAY ?? DEFAULT_BATCH.scheduledDelayMs,
            exportTimeoutMs: env.OTEL_BSP_EXPORT_TIMEOUT ?? DEFAULT_BATCH.exportTimeoutMs,
            maxQueueSize: env.OTEL_BSP_MAX_QUEUE_SIZE ?? DEFAULT_BATCH.maxQueueSize,
            maxExportBatchSize: env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ?? DEFAULT_BATCH.maxExportBatchSize,
          },
        }
      : null,
    metricsOtlp:
      otlpMetricsOn && metricsUrl !== undefined
        ? {
            url: metricsUrl,
            protocol: metricsProtocol,
            headers: { ...headers, ...parseKeyValueList(env.OTEL_EXPORTER_OTLP_METRICS_HEADERS) },
            timeoutMs,
            intervalMs: env.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000,
            exportTimeoutMs: env.OTEL_METRIC_EXPORT_TIMEOUT ?? 30_000,
          }
        : null,
    prometheus,
    propagation: {
      traceContext: !none && propagators.includes("tracecontext"),
      baggage: !none && propagators.includes("baggage"),
    },
    captureContent: env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
    // A consumer span links every record of its batch; the SDK default (128) would cut large batches.
    linkCountLimit: env.OTEL_SPAN_LINK_COUNT_LIMIT ?? 1_024,
  };
}
