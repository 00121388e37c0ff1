// The API surface services use, re-exported so no other workspace imports @opentelemetry/* directly.
export {
  type Attributes,
  type Context,
  context,
  type Histogram,
  type HrTime,
  type Link,
  type Meter,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
export * from "./bounded-values.ts";
export type { SpanStarter } from "./fast-span.ts";
export * from "./metrics-endpoint.ts";
export * from "./names.ts";
export { activeTelemetry, startTelemetry } from "./start-telemetry.ts";
export * from "./telemetry.ts";
export * from "./telemetry-env.ts";
export * from "./trace-headers.ts";
