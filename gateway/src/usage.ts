import type { Usage } from "@switchyard/events";
import { OpenAIUsage } from "./schemas/chat.ts";

/**
 * OpenAI usage → event usage. OpenAI's prompt_tokens already include cached tokens and
 * completion_tokens include reasoning tokens, which is exactly the event's convention;
 * clamps keep a provider's inconsistent numbers from breaking the event invariants.
 */
export function usageFromOpenAI(raw: unknown): Usage | null {
  const parsed = OpenAIUsage.safeParse(raw);
  if (!parsed.success) return null;
  const u = parsed.data;
  const cached = Math.min(u.prompt_tokens_details?.cached_tokens ?? 0, u.prompt_tokens);
  const reasoning = Math.min(u.completion_tokens_details?.reasoning_tokens ?? 0, u.completion_tokens);
  return {
    input_tokens: u.prompt_tokens,
    output_tokens: u.completion_tokens,
    cache_read_tokens: cached,
    cache_write_tokens: 0,
    reasoning_tokens: reasoning,
    estimated: false,
  };
}
