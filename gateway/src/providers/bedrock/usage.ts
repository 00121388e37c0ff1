import type { Usage } from "@switchyard/events";
import { cacheExcludedUsage, isUsageObject } from "../shared/usage.ts";

/** Bedrock Converse: inputTokens excludes cacheReadInputTokens / cacheWriteInputTokens (as Anthropic). */
export function usageFromBedrock(raw: unknown): Usage | null {
  if (!isUsageObject(raw)) return null;
  return cacheExcludedUsage(raw.inputTokens, raw.outputTokens, raw.cacheReadInputTokens, raw.cacheWriteInputTokens);
}
