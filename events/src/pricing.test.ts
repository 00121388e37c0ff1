import { describe, expect, it } from "vitest";
import { priceUsage } from "./pricing.ts";
import { type Usage, ZERO_USAGE } from "./request-event.ts";

const usage = (u: Partial<Usage>): Usage => ({ ...ZERO_USAGE, ...u });

describe("priceUsage", () => {
  it("prices catalogue models in integer nano-USD with a breakdown that sums to the total", () => {
    // gpt-4o-mini: $0.15/M input, $0.075/M cached input, $0.60/M output
    const cost = priceUsage("openai", "gpt-4o-mini", usage({ input_tokens: 1000, output_tokens: 500 }));
    expect(cost).toEqual({
      cost_nano_usd: 450_000,
      cost_breakdown: { input: 150_000, cached_input: 0, cache_write: 0, output: 300_000, reasoning: 0 },
      pricing_source: "genai-prices",
    });
  });

  it("counts a cached input token once, at the cache-read rate", () => {
    const all = priceUsage("openai", "gpt-4o-mini", usage({ input_tokens: 1000 }));
    const cached = priceUsage("openai", "gpt-4o-mini", usage({ input_tokens: 1000, cache_read_tokens: 400 }));
    expect(cached.cost_breakdown).toMatchObject({ input: 90_000, cached_input: 30_000 });
    expect(cached.cost_nano_usd).toBe(120_000);
    expect(cached.cost_nano_usd).toBeLessThan(all.cost_nano_usd);
  });

  it("splits reasoning tokens out of output instead of adding them on top", () => {
    const plain = priceUsage("openai", "gpt-4o-mini", usage({ output_tokens: 100 }));
    const reasoning = priceUsage("openai", "gpt-4o-mini", usage({ output_tokens: 100, reasoning_tokens: 60 }));
    expect(reasoning.cost_nano_usd).toBe(plain.cost_nano_usd);
    expect(reasoning.cost_breakdown).toMatchObject({ output: 24_000, reasoning: 36_000 });
  });

  it("lets an operator override (exact or prefix*) win over the catalogue", () => {
    const overrides = [
      { model: "llama-3-70b-*", input_mtok: 0.5, output_mtok: 1 },
      { provider: "openai", model: "gpt-4o-mini", input_mtok: 1, output_mtok: 2, cache_read_mtok: 0.1 },
    ];
    expect(priceUsage("vllm", "llama-3-70b-instruct", usage({ input_tokens: 2000 }), overrides)).toMatchObject({
      cost_nano_usd: 1_000_000,
      pricing_source: "override",
    });
    const openai = priceUsage("openai", "gpt-4o-mini", usage({ input_tokens: 10, cache_read_tokens: 10 }), overrides);
    expect(openai).toMatchObject({ cost_nano_usd: 1_000, pricing_source: "override" });
  });

  it("returns zero and says so for an unknown model", () => {
    expect(priceUsage("vllm", "my-private-model", usage({ input_tokens: 10 }))).toMatchObject({
      cost_nano_usd: 0,
      pricing_source: "unpriced",
    });
  });

  it("picks a tiered price's tier per request, not once per model (the catalogue lookup is memoised)", () => {
    // gemini-2.5-pro: $1.25/M input up to 200k input tokens, $2.50/M from there
    const small = () => priceUsage("google", "gemini-2.5-pro", usage({ input_tokens: 1000 }));
    expect(small().cost_breakdown.input).toBe(1_250_000);
    expect(priceUsage("google", "gemini-2.5-pro", usage({ input_tokens: 200_000 })).cost_breakdown.input).toBe(
      500_000_000,
    );
    expect(small().cost_breakdown.input).toBe(1_250_000);
  });
});
