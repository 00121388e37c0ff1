import { describe, expect, it } from "vitest";
import { priceUsage } from "./pricing.ts";
import { ZERO_USAGE } from "./request-event.ts";

/** Transcriptions billed by audio duration: genai-prices prices whisper-1 per audio hour. */
describe("priceUsage with audio seconds", () => {
  it("whisper-1: seconds × the hourly price, all of it input", () => {
    const cost = priceUsage("openai", "whisper-1", ZERO_USAGE, [], 90);
    expect(cost.cost_nano_usd).toBe(Math.round(90 * (0.36 / 3600) * 1e9));
    expect(cost.cost_breakdown.input).toBe(cost.cost_nano_usd);
    expect(cost.pricing_source).toBe("genai-prices");
  });

  it("a model priced per token ignores the seconds; an unknown model stays unpriced", () => {
    const usage = { ...ZERO_USAGE, input_tokens: 1000, output_tokens: 10 };
    expect(priceUsage("openai", "gpt-4o-transcribe", usage, [], 90)).toEqual(
      priceUsage("openai", "gpt-4o-transcribe", usage),
    );
    expect(priceUsage("openai", "tts-1", ZERO_USAGE, [], 90).pricing_source).toBe("unpriced");
  });
});
