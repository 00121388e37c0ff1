import { calcPrice, type ModelPrice, TieredPrices } from "@pydantic/genai-prices";
import { z } from "zod";
import type { CostBreakdown, PricingSource, Usage } from "./request-event.ts";

/**
 * Operator price overrides for custom or self-hosted models, in USD per million tokens
 * (the unit providers publish). An override wins over the genai-prices catalogue.
 */
export const PriceOverride = z.object({
  /** Provider the override applies to; omitted = any provider. */
  provider: z.string().min(1).optional(),
  /** Exact model id, or a prefix ending in "*". */
  model: z.string().min(1),
  input_mtok: z.number().nonnegative(),
  output_mtok: z.number().nonnegative(),
  cache_read_mtok: z.number().nonnegative().optional(),
  cache_write_mtok: z.number().nonnegative().optional(),
});
export type PriceOverride = z.infer<typeof PriceOverride>;

export const PriceOverridesFile = z.object({ models: z.array(PriceOverride) });
export type PriceOverridesFile = z.infer<typeof PriceOverridesFile>;

export interface Cost {
  cost_nano_usd: number;
  cost_breakdown: CostBreakdown;
  pricing_source: PricingSource;
}

interface PerMillion {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

const ZERO_COST: Cost = {
  cost_nano_usd: 0,
  cost_breakdown: { input: 0, cached_input: 0, cache_write: 0, output: 0, reasoning: 0 },
  pricing_source: "unpriced",
};

/** USD per million tokens → nano-USD for `tokens` tokens (1 USD/Mtok = 1,000 nano-USD/token). */
function nano(tokens: number, usdPerMillion: number): number {
  return Math.round(tokens * usdPerMillion * 1000);
}

function matchesOverride(o: PriceOverride, provider: string, model: string): boolean {
  if (o.provider !== undefined && o.provider !== provider) return false;
  return o.model.endsWith("*") ? model.startsWith(o.model.slice(0, -1)) : o.model === model;
}

/** Resolves a catalogue price, picking the tier for this request's input size. */
function tierPrice(price: ModelPrice[string], inputTokens: number): number | undefined {
  if (price === undefined || typeof price === "number") return price;
  if (price instanceof TieredPrices || (typeof price === "object" && "base" in price)) {
    let chosen = price.base;
    for (const tier of price.tiers) if (inputTokens >= tier.start) chosen = tier.price;
    return chosen;
  }
  return undefined;
}

/**
 * Catalogue lookups match the model id against every provider's rules, which is far too slow to
 * repeat per request; the matched price table depends only on (provider, model), so it is memoised,
 * keyed provider → model in nested maps (no key string built per request). A table with no tiered
 * price resolves to the same rates for every request, so those rates are memoised with it.
 * Bounded so a stream of distinct unknown model ids cannot grow it without limit.
 */
const CATALOGUE_CACHE_MAX = 10_000;
interface CatalogueEntry {
  price: ModelPrice;
  /** The rates when no price of the table is tiered (they then do not depend on the request). */
  flat: PerMillion | null;
}
let catalogueCache = new Map<string, Map<string, CatalogueEntry | null>>();
let catalogueCacheSize = 0;

function flatRates(p: ModelPrice): PerMillion | null {
  const fields = [p.input_mtok, p.output_mtok, p.cache_read_mtok, p.cache_write_mtok];
  if (!fields.every((f) => f === undefined || typeof f === "number")) return null;
  return ratesOf(p, 0);
}

function catalogueEntry(provider: string, model: string): CatalogueEntry | null {
  let byModel = catalogueCache.get(provider);
  const cached = byModel?.get(model);
  if (cached !== undefined) return cached;
  const probe = { input_tokens: 1, output_tokens: 1 };
  const found = calcPrice(probe, model, { providerId: provider }) ?? calcPrice(probe, model);
  const price = found?.model_price ?? null;
  const entry = price === null ? null : { price, flat: flatRates(price) };
  if (catalogueCacheSize >= CATALOGUE_CACHE_MAX) {
    catalogueCache = new Map();
    catalogueCacheSize = 0;
    byModel = undefined;
  }
  if (byModel === undefined) {
    byModel = new Map();
    catalogueCache.set(provider, byModel);
  }
  byModel.set(model, entry);
  catalogueCacheSize += 1;
  return entry;
}

function ratesOf(p: ModelPrice, inputTokens: number): PerMillion {
  const input = tierPrice(p.input_mtok, inputTokens) ?? 0;
  return {
    input,
    output: tierPrice(p.output_mtok, inputTokens) ?? 0,
    cacheRead: tierPrice(p.cache_read_mtok, inputTokens) ?? input,
    cacheWrite: tierPrice(p.cache_write_mtok, inputTokens) ?? input,
  };
}

function cataloguePrice(provider: string, model: string, usage: Usage): PerMillion | null {
  const entry = catalogueEntry(provider, model);
  if (entry === null) return null;
  return entry.flat ?? ratesOf(entry.price, usage.input_tokens);
}

/**
 * The one pricing function: usage → integer nano-USD, split per component.
 * Uncached input = input − cache reads − cache writes, so a cached token is priced once.
 * Reasoning tokens are a subset of output tokens and are split out of it, never added on top.
 * The breakdown components sum exactly to cost_nano_usd.
 */
export function priceUsage(
  provider: string,
  model: string,
  usage: Usage,
  overrides: readonly PriceOverride[] = [],
  audioSeconds: number | null = null,
): Cost {
  const override = overrides.find((o) => matchesOverride(o, provider, model));
  if (!override && audioSeconds !== null && audioSeconds > 0) {
    const perSecond = audioSecondPrice(provider, model);
    if (perSecond !== null) return audioCost(audioSeconds, perSecond);
  }
  const rates: PerMillion | null = override
    ? {
        input: override.input_mtok,
        output: override.output_mtok,
        cacheRead: override.cache_read_mtok ?? override.input_mtok,
        cacheWrite: override.cache_write_mtok ?? override.input_mtok,
      }
    : cataloguePrice(provider, model, usage);
  if (rates === null) return ZERO_COST;

  const uncachedInput = Math.max(0, usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens);
  const visibleOutput = Math.max(0, usage.output_tokens - usage.reasoning_tokens);
  const breakdown: CostBreakdown = {
    input: nano(uncachedInput, rates.input),
    cached_input: nano(usage.cache_read_tokens, rates.cacheRead),
    cache_write: nano(usage.cache_write_tokens, rates.cacheWrite),
    output: nano(visibleOutput, rates.output),
    reasoning: nano(usage.reasoning_tokens, rates.output),
  };
  const total =
    breakdown.input + breakdown.cached_input + breakdown.cache_write + breakdown.output + breakdown.reasoning;
  return {
    cost_nano_usd: total,
    cost_breakdown: breakdown,
    pricing_source: override ? "override" : "genai-prices",
  };
}

/**
 * USD per second of audio for a model the catalogue prices by the hour (whisper-1), else null.
 * Models priced per token (gpt-4o-transcribe) report tokens and go through priceUsage's token path.
 */
function audioSecondPrice(provider: string, model: string): number | null {
  const price = catalogueEntry(provider, model)?.price as (ModelPrice & { input_audio_hours?: unknown }) | undefined;
  const perHour = price?.input_audio_hours ?? (price as { audio_hours?: unknown } | undefined)?.audio_hours;
  return typeof perHour === "number" ? perHour / 3600 : null;
}

/** A transcription billed by its audio's duration: all of it is input. */
function audioCost(seconds: number, usdPerSecond: number): Cost {
  const input = Math.round(seconds * usdPerSecond * 1e9);
  return {
    cost_nano_usd: input,
    cost_breakdown: { input, cached_input: 0, cache_write: 0, output: 0, reasoning: 0 },
    pricing_source: "genai-prices",
  };
}
