import { type Usage, ZERO_USAGE } from "@switchyard/events";

/**
 * Provider usage blocks → event usage: the helpers every provider's mapping shares. The event's
 * convention (events/src/request-event.ts): input_tokens counts every prompt token incl. cache reads
 * and writes; output_tokens counts every completion token incl. reasoning. Each provider maps its own
 * block next to its adapter (`<provider>/usage.ts`); `makeUsage` clamps so an upstream's inconsistent
 * numbers never break the invariants.
 */
export interface UsageParts {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
  estimated?: boolean;
}

/** A token count as reported: a finite positive number floored, anything else 0. */
export const tokenCount = (v: unknown): number =>
  typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;

export type UsageObject = Record<string, unknown>;
export const isUsageObject = (v: unknown): v is UsageObject => typeof v === "object" && v !== null && !Array.isArray(v);

export function makeUsage(p: UsageParts): Usage {
  const input = tokenCount(p.input);
  const output = tokenCount(p.output);
  const cacheRead = Math.min(tokenCount(p.cacheRead), input);
  const cacheWrite = Math.min(tokenCount(p.cacheWrite), input - cacheRead);
  return {
    input_tokens: input,
    output_tokens: output,
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    reasoning_tokens: Math.min(tokenCount(p.reasoning), output),
    estimated: p.estimated === true,
  };
}

/**
 * For blocks whose input count leaves out cache reads and writes (Anthropic, Bedrock Converse):
 * the event's input is the three summed.
 */
export function cacheExcludedUsage(input: unknown, output: unknown, cacheRead: unknown, cacheWrite: unknown): Usage {
  const read = tokenCount(cacheRead);
  const write = tokenCount(cacheWrite);
  return makeUsage({
    input: tokenCount(input) + read + write,
    output: tokenCount(output),
    cacheRead: read,
    cacheWrite: write,
  });
}

/** Event usage → the OpenAI usage block clients read (chat.completion and the final stream chunk). */
export function openAIUsageBlock(usage: Usage) {
  return {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.input_tokens + usage.output_tokens,
    prompt_tokens_details: { cached_tokens: usage.cache_read_tokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
  };
}

/**
 * Usage of an answer whose provider reported none: zero for now and marked estimated, so the
 * shared HTTP wrapper counts the tokens locally (gpt-tokenizer) before the event is built.
 */
export const ESTIMATE_PENDING_USAGE: Usage = Object.freeze({ ...ZERO_USAGE, estimated: true });
