import type { Usage } from "@switchyard/events";
import { isUsageObject, makeUsage, type UsageObject } from "../shared/usage.ts";

/**
 * OpenAI usage → event usage. OpenAI's prompt_tokens already include cached tokens and
 * completion_tokens include reasoning tokens, which is exactly the event's convention.
 */
export function usageFromOpenAI(raw: unknown): Usage | null {
  // Runs for every OpenAI-compatible answer: plain checks, no schema pass (makeUsage clamps anyway).
  // A block that is not an object, or a count that is not a whole non-negative number, is no usage.
  if (!isUsageObject(raw)) return null;
  const input = countOrZero(raw.prompt_tokens);
  const output = countOrZero(raw.completion_tokens);
  const promptDetails = detailsOf(raw.prompt_tokens_details);
  const completionDetails = detailsOf(raw.completion_tokens_details);
  if (input === null || output === null || promptDetails === null || completionDetails === null) return null;
  const cacheRead = countOrZero(promptDetails.cached_tokens ?? undefined);
  const reasoning = countOrZero(completionDetails.reasoning_tokens ?? undefined);
  if (cacheRead === null || reasoning === null) return null;
  return makeUsage({ input, output, cacheRead, reasoning });
}

/** Absent → 0; a whole non-negative number → itself; anything else → null (invalid). */
function countOrZero(value: unknown): number | null {
  if (value === undefined) return 0;
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : null;
}

/** An optional details object: absent/null → {}, an object → itself, anything else → null (invalid). */
function detailsOf(value: unknown): UsageObject | null {
  if (value === undefined || value === null) return {};
  return isUsageObject(value) ? value : null;
}
