// @switchyard/gateway/testing: what tests in other packages may use from the gateway. They import
// it through this export, never by a relative path into gateway/src.

// Gateway apps over a real control plane on a temporary embedded log (admin API, prompts).
export { ADMIN_TOKEN, AdminTestHarness } from "../admin/admin-test-support.ts";
export { MINILM_DIR, minilmEmbedder } from "../cache/embedder.ts";
// The model's graph and tokenizer, for the embedding probes in test/bench (cache-layer-truncation.ts).
export { decodeModel, encodeModel, graphWith, type Model, withGraph } from "../cache/onnx-model.ts";
// The response cache, for tests that run replicas against their own Redis (cache/README.md).
export { DEFAULT_CACHE_SETTINGS, ResponseCache } from "../cache/response-cache.ts";
export { asciiWordPiece, wordPieceVocab } from "../cache/wordpiece.ts";
export { DEFAULT_LIMITS_SETTINGS } from "../limits/limits-config.ts";
export { createLimits } from "../limits/limits-service.ts";
// Gateway apps with limits over a real control plane (the limits bench measures one in process).
export { LimitsHarness } from "../limits/limits-test-support.ts";
// A redis-server of a test's or bench's own, on a free port, that it may kill (limits/README.md).
export { OwnRedis } from "../limits/redis-process.ts";
export { cacheStage } from "../pipeline/stages/cache.ts";
export { PROVIDER_ADAPTERS, ProviderId } from "../providers/registry.ts";
export { createGatewayTelemetry } from "../telemetry/index.ts";
export type { RequestEnd, StreamChunkFacts } from "../telemetry/types.ts";
export * from "../test-support.ts";
