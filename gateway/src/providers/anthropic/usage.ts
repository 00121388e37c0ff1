import type { Usage } from "@switchyard/events";
import { cacheExcludedUsage, isUsageObject } from "../shared/usage.ts";

/**
 * Anthropic: input_tokens EXCLUDES cache_read_input_tokens and cache_creation_input_tokens, so the
 * event's input is their sum. Thinking tokens are inside output_tokens but not reported apart.
 */
export function usageFromAnthropic(raw: unknown): Usage | null {
  if (!isUsageObject(raw)) return null;
  return cacheExcludedUsage(
    raw.input_tokens,
    raw.output_tokens,
    raw.cache_read_input_tokens,
    raw.cache_creation_input_tokens,
  );
}
