import type { Usage } from "@switchyard/events";
import { isUsageObject, makeUsage, tokenCount } from "../shared/usage.ts";

/**
 * Gemini usageMetadata: promptTokenCount includes cachedContentTokenCount; candidatesTokenCount
 * EXCLUDES thoughtsTokenCount, so output = candidates + thoughts and reasoning = thoughts.
 */
export function usageFromGemini(raw: unknown): Usage | null {
  if (!isUsageObject(raw)) return null;
  const thoughts = tokenCount(raw.thoughtsTokenCount);
  return makeUsage({
    input: tokenCount(raw.promptTokenCount) + tokenCount(raw.toolUsePromptTokenCount),
    output: tokenCount(raw.candidatesTokenCount) + thoughts,
    cacheRead: tokenCount(raw.cachedContentTokenCount),
    reasoning: thoughts,
  });
}
