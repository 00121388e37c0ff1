// @switchyard/gateway/testing: what tests in other packages may use from the gateway. They import
// it through this export, never by a relative path into gateway/src.
export { PROVIDER_ADAPTERS, ProviderId } from "../providers/registry.ts";
export { createGatewayTelemetry } from "../telemetry/index.ts";
export type { RequestEnd, StreamChunkFacts } from "../telemetry/types.ts";
export * from "../test-support.ts";
