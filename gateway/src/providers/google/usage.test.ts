import { describe, expect, it } from "vitest";
import { usageFromGemini } from "./usage.ts";

/** Each provider's usage block → the event's convention (input ⊇ cache reads/writes, output ⊇ reasoning). */
describe("usage mapping", () => {
  it("Gemini: thoughts are added to output and counted as reasoning; cached content is inside the prompt", () => {
    expect(
      usageFromGemini({
        promptTokenCount: 80,
        cachedContentTokenCount: 30,
        candidatesTokenCount: 12,
        thoughtsTokenCount: 8,
      }),
    ).toMatchObject({ input_tokens: 80, cache_read_tokens: 30, output_tokens: 20, reasoning_tokens: 8 });
  });
});
