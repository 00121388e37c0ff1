import { Attr, type Attributes, genAiProviderName } from "@switchyard/platform";
import type { ResponseFacts } from "./genai-content.ts";
import type { RequestEnd } from "./types.ts";

/** The request span's attributes at its end (GenAI semantic conventions + Switchyard's own). */
export function endAttributes(
  result: RequestEnd,
  facts: ResponseFacts | null,
  lastServer: { address: string | null; port: number | null } | null,
  timeToFirstChunkSec: number | null,
): Attributes {
  const a: Attributes = { [Attr.httpResponseStatusCode]: result.statusCode };
  if (result.provider) a[Attr.genAiProviderName] = genAiProviderName(result.provider);
  const responseModel = result.responseModel ?? facts?.model ?? null;
  if (responseModel) a[Attr.genAiResponseModel] = responseModel;
  const responseId = result.responseId ?? facts?.id ?? null;
  if (responseId) a[Attr.genAiResponseId] = responseId;
  const finishReasons = result.finishReasons ?? facts?.finishReasons ?? null;
  if (finishReasons && finishReasons.length > 0) a[Attr.genAiResponseFinishReasons] = [...finishReasons];
  if (facts?.outputMessages !== undefined) a[Attr.genAiOutputMessages] = facts.outputMessages;
  const usage = result.usage;
  if (usage) {
    a[Attr.genAiUsageInputTokens] = usage.input_tokens;
    a[Attr.genAiUsageOutputTokens] = usage.output_tokens;
    if (usage.cache_read_tokens) a[Attr.genAiUsageCacheReadInputTokens] = usage.cache_read_tokens;
    if (usage.cache_write_tokens) a[Attr.genAiUsageCacheCreationInputTokens] = usage.cache_write_tokens;
    if (usage.reasoning_tokens) a[Attr.genAiUsageReasoningOutputTokens] = usage.reasoning_tokens;
  }
  const address = result.serverAddress ?? lastServer?.address ?? null;
  const port = result.serverPort ?? lastServer?.port ?? null;
  if (address) a[Attr.serverAddress] = address;
  if (address && port !== null) a[Attr.serverPort] = port;
  if (timeToFirstChunkSec !== null) a[Attr.genAiResponseTimeToFirstChunk] = timeToFirstChunkSec;
  if (result.errorType) a[Attr.errorType] = result.errorType;
  if (result.tenantId) a[Attr.tenantId] = result.tenantId;
  if (result.traceId) a[Attr.traceId] = result.traceId;
  if (result.cacheStatus && result.cacheStatus !== "DISABLED") a[Attr.cacheStatus] = result.cacheStatus;
  if (result.costNanoUsd != null) a[Attr.costNanoUsd] = result.costNanoUsd;
  if (result.targetPath) a[Attr.targetPath] = result.targetPath;
  if (result.configId) a[Attr.configId] = result.configId;
  if (result.retryCount) a[Attr.retryCount] = result.retryCount;
  return a;
}
