import type { Usage } from "@switchyard/events";
import { isUsageObject, makeUsage, tokenCount } from "../shared/usage.ts";

/** Cohere v2: billed_units is what is charged (tokens also counts the prompt template); fall back to tokens. */
export function usageFromCohere(raw: unknown): Usage | null {
  if (!isUsageObject(raw)) return null;
  const billed = isUsageObject(raw.billed_units) ? raw.billed_units : null;
  const tokens = isUsageObject(raw.tokens) ? raw.tokens : null;
  const source =
    billed && (tokenCount(billed.input_tokens) > 0 || tokenCount(billed.output_tokens) > 0) ? billed : tokens;
  if (source === null) return null;
  return makeUsage({
    input: tokenCount(source.input_tokens),
    output: tokenCount(source.output_tokens),
    cacheRead: tokenCount(raw.cached_tokens),
  });
}
