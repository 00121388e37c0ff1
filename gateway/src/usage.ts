import type { Usage } from "@switchyard/events";

/**
 * Provider usage blocks → event usage. The event's convention (events/src/request-event.ts):
 * input_tokens counts every prompt token incl. cache reads and writes; output_tokens counts
 * every completion token incl. reasoning. Each provider's block is mapped to that here, in one
 * place, and `makeUsage` clamps so an upstream's inconsistent numbers never break the invariants.
 */
export interface UsageParts {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
  estimated?: boolean;
}

const n = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function makeUsage(p: UsageParts): Usage {
  const input = n(p.input);
  const output = n(p.output);
  const cacheRead = Math.min(n(p.cacheRead), input);
  const cacheWrite = Math.min(n(p.cacheWrite), input - cacheRead);
  return {
    input_tokens: input,
    output_tokens: output,
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    reasoning_tokens: Math.min(n(p.reasoning), output),
    estimated: p.estimated === true,
  };
}

/**
 * OpenAI usage → event usage. OpenAI's prompt_tokens already include cached tokens and
 * completion_tokens include reasoning tokens, which is exactly the event's convention.
 */
export function usageFromOpenAI(raw: unknown): Usage | null {
  // Runs for every OpenAI-compatible answer: plain checks, no schema pass (makeUsage clamps anyway).
  // A block that is not an object, or a count that is not a whole non-negative number, is no usage.
  if (!isObj(raw)) return null;
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
function detailsOf(value: unknown): Obj | null {
  if (value === undefined || value === null) return {};
  return isObj(value) ? value : null;
}

/**
 * Anthropic: input_tokens EXCLUDES cache_read_input_tokens and cache_creation_input_tokens, so the
 * event's input is their sum. Thinking tokens are inside output_tokens but not reported apart.
 */
export function usageFromAnthropic(raw: unknown): Usage | null {
  if (!isObj(raw)) return null;
  return cacheExcludedUsage(
    raw.input_tokens,
    raw.output_tokens,
    raw.cache_read_input_tokens,
    raw.cache_creation_input_tokens,
  );
}

/** For blocks whose input count leaves out cache reads and writes: the event's input is the three summed. */
function cacheExcludedUsage(input: unknown, output: unknown, cacheRead: unknown, cacheWrite: unknown): Usage {
  const read = n(cacheRead);
  const write = n(cacheWrite);
  return makeUsage({ input: n(input) + read + write, output: n(output), cacheRead: read, cacheWrite: write });
}

/**
 * Gemini usageMetadata: promptTokenCount includes cachedContentTokenCount; candidatesTokenCount
 * EXCLUDES thoughtsTokenCount, so output = candidates + thoughts and reasoning = thoughts.
 */
export function usageFromGemini(raw: unknown): Usage | null {
  if (!isObj(raw)) return null;
  const thoughts = n(raw.thoughtsTokenCount);
  return makeUsage({
    input: n(raw.promptTokenCount) + n(raw.toolUsePromptTokenCount),
    output: n(raw.candidatesTokenCount) + thoughts,
    cacheRead: n(raw.cachedContentTokenCount),
    reasoning: thoughts,
  });
}

/** Bedrock Converse: inputTokens excludes cacheReadInputTokens / cacheWriteInputTokens (as Anthropic). */
export function usageFromBedrock(raw: unknown): Usage | null {
  if (!isObj(raw)) return null;
  return cacheExcludedUsage(raw.inputTokens, raw.outputTokens, raw.cacheReadInputTokens, raw.cacheWriteInputTokens);
}

/** Cohere v2: billed_units is what is charged (tokens also counts the prompt template); fall back to tokens. */
export function usageFromCohere(raw: unknown): Usage | null {
  if (!isObj(raw)) return null;
  const billed = isObj(raw.billed_units) ? raw.billed_units : null;
  const tokens = isObj(raw.tokens) ? raw.tokens : null;
  const source = billed && (n(billed.input_tokens) > 0 || n(billed.output_tokens) > 0) ? billed : tokens;
  if (source === null) return null;
  return makeUsage({
    input: n(source.input_tokens),
    output: n(source.output_tokens),
    cacheRead: n(raw.cached_tokens),
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
