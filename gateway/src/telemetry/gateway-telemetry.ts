import { activeTelemetry, extractContext, ROOT_CONTEXT, Scopes, type Telemetry } from "@switchyard/platform";
import { MetricsOnlyRequest } from "./metrics-only-request.ts";
import { RecordingRequest } from "./recording-request.ts";
import { createInstruments } from "./request-metrics.ts";
import type { GatewayTelemetry } from "./types.ts";

/**
 * The gateway's spans and metrics (see README.md here for where the route and router call it).
 * Built once per gateway from the process' Telemetry (startTelemetry in main, or a test's).
 */
export function createGatewayTelemetry(telemetry: Telemetry = activeTelemetry()): GatewayTelemetry {
  const meter = telemetry.meter(Scopes.gateway);
  const instruments = createInstruments(meter);
  const tracer = telemetry.tracing ? telemetry.tracer(Scopes.gateway) : null;
  const requestSpans = telemetry.requestSpans(Scopes.gateway);
  const { propagator, captureContent } = telemetry;
  return {
    tracing: tracer !== null,
    captureContent,
    startRequest(start) {
      if (tracer) {
        const h = start.incomingHeaders;
        const carriesContext = h.traceparent !== undefined || h.baggage !== undefined;
        const parent = propagator && carriesContext ? extractContext(h, propagator) : ROOT_CONTEXT;
        return new RecordingRequest({ tracer, requestSpans }, parent, start, instruments, captureContent);
      }
      return new MetricsOnlyRequest(start, instruments);
    },
  };
}
