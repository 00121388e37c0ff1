import { type PriceOverride, priceUsage, type Usage } from "@switchyard/events";
import { countTokens, promptText } from "../providers/shared/tokens.ts";

/**
 * The most a request can use: its input tokens counted (o200k_base, plus a margin because other
 * providers' tokenizers count differently), and its output bounded by `max_tokens` /
 * `max_completion_tokens` — or by `defaultOutputCap` when it sets neither.
 */
export interface WorstCase {
  tokens: number;
  /** nano-USD; null when the model has no price (a cost budget then refuses the request). */
  costNano: number | null;
}

/** Per-message framing and a 10 % margin over the local count (providers tokenize differently). */
const PER_MESSAGE = 4;
const MARGIN = 1.1;

/** Counts the prompt once per request; every target prices the same count with its own model. */
export async function inputTokensOf(params: Record<string, unknown>): Promise<number> {
  const { text, messages } = promptText(params);
  const extra: string[] = [];
  for (const field of ["system", "input", "prompt"] as const) {
    const value = params[field];
    if (typeof value === "string") extra.push(value);
    else if (Array.isArray(value)) extra.push(JSON.stringify(value));
  }
  const counted = await countTokens(extra.length > 0 ? `${text}\n${extra.join("\n")}` : text);
  return Math.ceil(counted * MARGIN) + messages * PER_MESSAGE + PER_MESSAGE;
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
