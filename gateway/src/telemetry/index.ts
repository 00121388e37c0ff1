export { createGatewayTelemetry } from "./gateway-telemetry.ts";
export { registerMetricsRoute } from "./metrics-route.ts";
export { requestEndFromEvent, upstreamServer } from "./request-end.ts";
export type * from "./types.ts";
