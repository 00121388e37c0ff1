import { type PriceOverride, priceUsage, type Usage } from "@switchyard/events";
import { countTokens, promptText } from "../providers/shared/tokens.ts";

/**
 * The most a request can use: its input tokens bounded by the prompt's UTF-8 bytes, or counted
 * (o200k_base, plus a margin because other providers' tokenizers count differently) when that bound
 * does not fit; its output bounded by `max_tokens` / `max_completion_tokens` — or by
 * `defaultOutputCap` when it sets neither.
 */
export interface WorstCase {
  tokens: number;
  /** nano-USD; null when the model has no price (a cost budget then refuses the request). */
  costNano: number | null;
}

/** A target's worst case with the model and provider it is priced for. */
export type TargetWorst = WorstCase & { model: string; provider: string };

/** Per-message framing and a 10 % margin over the local count (providers tokenize differently). */
const PER_MESSAGE = 4;
const MARGIN = 1.1;

/** The text of a request that becomes input tokens, gathered once per request. */
export interface Prompt {
  text: string;
  messages: number;
}

export function promptOf(params: Record<string, unknown>): Prompt {
  const { text, messages } = promptText(params);
  const extra: string[] = [];
  for (const field of ["system", "input", "prompt"] as const) {
    const value = params[field];
    if (typeof value === "string") extra.push(value);
    else if (Array.isArray(value)) extra.push(JSON.stringify(value));
  }
  return { text: extra.length > 0 ? `${text}\n${extra.join("\n")}` : text, messages };
}

/**
 * An upper bound of the prompt's tokens for every byte-level tokenizer (o200k, Llama's, Claude's,
 * SentencePiece with byte fallback: a token is at least one byte), in O(1) native time — tokenizing
 * costs ~2 µs for a short prompt and hundreds for a long one. Admission reserves this first and
 * counts exactly only when the bound does not fit (Limiter.admit).
 */
export function inputTokensBound(prompt: Prompt): number {
  return Buffer.byteLength(prompt.text) + prompt.messages * PER_MESSAGE + PER_MESSAGE;
}

/** The prompt counted (o200k_base) plus the margin; never above the byte bound, which also holds. */
export async function inputTokensCounted(prompt: Prompt): Promise<number> {
  const counted = Math.ceil((await countTokens(prompt.text)) * MARGIN) + prompt.messages * PER_MESSAGE + PER_MESSAGE;
  return Math.min(counted, inputTokensBound(prompt));
}

/** The output cap a request asks for (the leaf's override_params win), else null. */
export function outputCapOf(
  params: Record<string, unknown>,
  overrides: Readonly<Record<string, unknown>>,
): number | null {
  for (const source of [overrides, params]) {
    for (const field of ["max_completion_tokens", "max_tokens", "max_output_tokens"]) {
      const value = source[field];
      if (typeof value === "number" && Number.isFinite(value) && value >= 0) return Math.ceil(value);
    }
  }
  return null;
}

export function worstCase(
  provider: string,
  model: string,
  input: number,
  output: number,
  overrides: readonly PriceOverride[],
): WorstCase {
  const usage: Usage = {
    input_tokens: input,
    output_tokens: output,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    estimated: true,
  };
  const cost = priceUsage(provider, model, usage, overrides);
  return { tokens: input + output, costNano: cost.pricing_source === "unpriced" ? null : cost.cost_nano_usd };
}

/** Each target's worst case (by path), pricing one input count with the target's own model and output cap. */
export function targetWorsts(
  targets: ReadonlyArray<{
    path: string;
    provider: string;
    model: string;
    overrides: Readonly<Record<string, unknown>>;
  }>,
  params: Record<string, unknown>,
  inputTokens: number,
  defaultOutputCap: number,
  priceOverrides: readonly PriceOverride[],
): Map<string, TargetWorst> {
  const worst = new Map<string, TargetWorst>();
  for (const t of targets) {
    const output = outputCapOf(params, t.overrides) ?? defaultOutputCap;
    const w = worstCase(t.provider, t.model, inputTokens, output, priceOverrides);
    worst.set(t.path, { tokens: w.tokens, costNano: w.costNano, model: t.model, provider: t.provider });
  }
  return worst;
}
