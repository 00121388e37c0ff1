/**
 * Every span, attribute and metric name Switchyard emits, in one place. Standard names come from
 * @opentelemetry/semantic-conventions (stable entry point, then `incubating` for the GenAI and
 * messaging conventions, which are still in development there). The GenAI constants are marked
 * deprecated in 1.45 only because that convention moved to its own repository
 * (semantic-conventions-genai); the names themselves are unchanged and current.
 * Switchyard's own attributes live under `switchyard.*`.
 */
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from "@opentelemetry/semantic-conventions";
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  GEN_AI_PROVIDER_NAME_VALUE_AWS_BEDROCK,
  GEN_AI_PROVIDER_NAME_VALUE_AZURE_AI_INFERENCE,
  GEN_AI_PROVIDER_NAME_VALUE_AZURE_AI_OPENAI,
  GEN_AI_PROVIDER_NAME_VALUE_COHERE,
  GEN_AI_PROVIDER_NAME_VALUE_DEEPSEEK,
  GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI,
  GEN_AI_PROVIDER_NAME_VALUE_GCP_VERTEX_AI,
  GEN_AI_PROVIDER_NAME_VALUE_GROQ,
  GEN_AI_PROVIDER_NAME_VALUE_MISTRAL_AI,
  GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
  GEN_AI_PROVIDER_NAME_VALUE_PERPLEXITY,
  GEN_AI_PROVIDER_NAME_VALUE_X_AI,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
} from "@opentelemetry/semantic-conventions/incubating";

/** Instrumentation scope names (the `otel_scope_name` label on /metrics). */
export const Scopes = {
  gateway: "switchyard.gateway",
  ingest: "switchyard.ingest",
  events: "switchyard.events",
  analytics: "switchyard.analytics",
  telemetry: "switchyard.telemetry",
} as const;

/** Attribute keys. Standard ones first, then the `switchyard.*` namespace. */
export const Attr = {
  // OpenTelemetry GenAI semantic conventions
  genAiOperationName: ATTR_GEN_AI_OPERATION_NAME,
  genAiProviderName: ATTR_GEN_AI_PROVIDER_NAME,
  genAiRequestModel: ATTR_GEN_AI_REQUEST_MODEL,
  genAiRequestTemperature: ATTR_GEN_AI_REQUEST_TEMPERATURE,
  genAiRequestMaxTokens: ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  genAiRequestTopP: ATTR_GEN_AI_REQUEST_TOP_P,
  genAiRequestTopK: ATTR_GEN_AI_REQUEST_TOP_K,
  genAiRequestFrequencyPenalty: ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  genAiRequestPresencePenalty: ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  genAiRequestStopSequences: ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  genAiRequestSeed: ATTR_GEN_AI_REQUEST_SEED,
  genAiRequestChoiceCount: ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  genAiRequestStream: ATTR_GEN_AI_REQUEST_STREAM,
  genAiResponseModel: ATTR_GEN_AI_RESPONSE_MODEL,
  genAiResponseId: ATTR_GEN_AI_RESPONSE_ID,
  genAiResponseFinishReasons: ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  genAiResponseTimeToFirstChunk: ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  genAiUsageInputTokens: ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  genAiUsageOutputTokens: ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  genAiUsageCacheReadInputTokens: ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  genAiUsageCacheCreationInputTokens: ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  genAiUsageReasoningOutputTokens: ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  genAiTokenType: ATTR_GEN_AI_TOKEN_TYPE,
  /** Opt-in content capture only (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT). */
  genAiInputMessages: ATTR_GEN_AI_INPUT_MESSAGES,
  genAiOutputMessages: ATTR_GEN_AI_OUTPUT_MESSAGES,
  // General
  serverAddress: ATTR_SERVER_ADDRESS,
  serverPort: ATTR_SERVER_PORT,
  errorType: ATTR_ERROR_TYPE,
  httpResponseStatusCode: ATTR_HTTP_RESPONSE_STATUS_CODE,
  // Messaging (ingest's consumer span)
  messagingSystem: ATTR_MESSAGING_SYSTEM,
  messagingOperationName: ATTR_MESSAGING_OPERATION_NAME,
  messagingOperationType: ATTR_MESSAGING_OPERATION_TYPE,
  messagingDestinationName: ATTR_MESSAGING_DESTINATION_NAME,
  messagingDestinationPartitionId: ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  messagingConsumerGroupName: ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  messagingBatchMessageCount: ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  // Database (ingest's batch insert)
  dbSystemName: ATTR_DB_SYSTEM_NAME,
  dbOperationName: ATTR_DB_OPERATION_NAME,
  dbCollectionName: ATTR_DB_COLLECTION_NAME,
  // Switchyard
  tenantId: "switchyard.tenant.id",
  /** The Portkey-style trace id (x-portkey-trace-id), the key of analytics' trace lookup. */
  traceId: "switchyard.trace_id",
  cacheStatus: "switchyard.cache.status",
  costNanoUsd: "switchyard.cost.nano_usd",
  targetPath: "switchyard.target.path",
  configId: "switchyard.config.id",
  retryCount: "switchyard.retry.count",
  /** 0 for a target's first try, n for its n-th retry (attempt spans). */
  attemptRetry: "switchyard.attempt.retry",
  guardrailId: "switchyard.guardrail.id",
  guardrailStage: "switchyard.guardrail.stage",
  guardrailVerdict: "switchyard.guardrail.verdict",
  /** Dead letters in one consumed batch. */
  deadLetters: "switchyard.ingest.dead_letters",
  /** Label of the telemetry self-metrics: why spans were not delivered. */
  dropReason: "switchyard.otel.drop_reason",
  /** The event table an ingest insert wrote (requests, feedback). */
  table: "switchyard.ingest.table",
  outcome: "switchyard.outcome",
  topic: "switchyard.events.topic",
} as const;

export const Values = {
  operationChat: GEN_AI_OPERATION_NAME_VALUE_CHAT,
  tokenInput: GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  tokenOutput: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
  messagingProcess: MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  /** messaging.system for the embedded durable log (not a registered value: our own). */
  messagingSystemEmbedded: "switchyard_log",
  messagingSystemKafka: "kafka",
  dbSystemClickHouse: "clickhouse",
  /** error.type's fallback when a value is unknown (the convention's own). */
  errorOther: "_OTHER",
} as const;

/** Span names that are not `{operation} {model}`. Low cardinality by construction. */
export const SpanNames = {
  cacheLookup: "switchyard.cache.lookup",
  cacheStore: "switchyard.cache.store",
  guardrail: "switchyard.guardrail",
  /** `process {topic}`: the messaging convention's `{operation} {destination}`. */
  consume: (topic: string) => `process ${topic}`,
  /** `{operation} {model}`, or just the operation when the model is not known (GenAI convention). */
  genAi: (operation: string, model: string | null | undefined) => (model ? `${operation} ${model}` : operation),
} as const;

/** Metric names: the GenAI client metrics, then Switchyard's own. */
export const Metrics = {
  genAiClientOperationDuration: METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  genAiClientTokenUsage: METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  genAiClientTimeToFirstChunk: METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  gatewayRequests: "switchyard.gateway.requests",
  gatewayAttempts: "switchyard.gateway.attempts",
  gatewayErrors: "switchyard.gateway.errors",
  gatewayCost: "switchyard.gateway.cost.nano_usd",
  gatewayCacheLookups: "switchyard.gateway.cache.lookups",
  gatewayCacheStoreErrors: "switchyard.gateway.cache.store_errors",
  gatewayCacheEvictions: "switchyard.gateway.cache.evictions",
  gatewayCacheSize: "switchyard.gateway.cache.size",
  gatewayCacheEntries: "switchyard.gateway.cache.entries",
  gatewayCacheSemanticEntries: "switchyard.gateway.cache.semantic_entries",
  eventsQueueDepth: "switchyard.events.queue.depth",
  eventsSpoolRecords: "switchyard.events.spool.records",
  eventsPublished: "switchyard.events.published",
  eventsSpilled: "switchyard.events.spilled",
  eventsLost: "switchyard.events.lost",
  ingestConsumerLag: "switchyard.ingest.consumer.lag",
  ingestMessages: "switchyard.ingest.messages",
  ingestDeadLetters: "switchyard.ingest.dead_letters",
  ingestInsertDuration: "switchyard.ingest.insert.duration",
  ingestRowsWritten: "switchyard.ingest.rows.written",
  ingestDuplicatesSkipped: "switchyard.ingest.rows.duplicates",
  otelSpansDropped: "switchyard.otel.spans.dropped",
  otelSpansExported: "switchyard.otel.spans.exported",
  analyticsRequestDuration: "http.server.request.duration",
} as const;

/** Explicit bucket boundaries given by the GenAI convention. */
export const Buckets = {
  /** gen_ai.client.operation.duration and gen_ai.client.operation.time_to_first_chunk, seconds. */
  genAiDurationSeconds: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  /** gen_ai.client.token.usage, tokens. */
  genAiTokens: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
  /** Inserts and HTTP reads: the HTTP convention's boundaries, seconds. */
  shortSeconds: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
} as const;

/**
 * Switchyard provider id → gen_ai.provider.name. Ids the convention names map to its value; any
 * other id is reported as itself (the convention allows custom values), e.g. `mock`.
 */
const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  openai: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
  anthropic: GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  bedrock: GEN_AI_PROVIDER_NAME_VALUE_AWS_BEDROCK,
  "aws-bedrock": GEN_AI_PROVIDER_NAME_VALUE_AWS_BEDROCK,
  "azure-openai": GEN_AI_PROVIDER_NAME_VALUE_AZURE_AI_OPENAI,
  "azure-ai": GEN_AI_PROVIDER_NAME_VALUE_AZURE_AI_INFERENCE,
  cohere: GEN_AI_PROVIDER_NAME_VALUE_COHERE,
  deepseek: GEN_AI_PROVIDER_NAME_VALUE_DEEPSEEK,
  google: GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI,
  gemini: GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI,
  "vertex-ai": GEN_AI_PROVIDER_NAME_VALUE_GCP_VERTEX_AI,
  groq: GEN_AI_PROVIDER_NAME_VALUE_GROQ,
  "mistral-ai": GEN_AI_PROVIDER_NAME_VALUE_MISTRAL_AI,
  mistral: GEN_AI_PROVIDER_NAME_VALUE_MISTRAL_AI,
  perplexity: GEN_AI_PROVIDER_NAME_VALUE_PERPLEXITY,
  "perplexity-ai": GEN_AI_PROVIDER_NAME_VALUE_PERPLEXITY,
  "x-ai": GEN_AI_PROVIDER_NAME_VALUE_X_AI,
  xai: GEN_AI_PROVIDER_NAME_VALUE_X_AI,
};

export function genAiProviderName(providerId: string): string {
  return PROVIDER_NAMES[providerId] ?? providerId;
}
