import { Usage } from "@switchyard/events";
import { describe, expect, it } from "vitest";
import { makeUsage, openAIUsageBlock } from "./usage.ts";

/** The shared helpers every provider's mapping goes through. */
describe("usage mapping", () => {
  it("clamps inconsistent numbers so the event's invariants always hold", () => {
    const u = makeUsage({ input: 10, output: 2, cacheRead: 8, cacheWrite: 8, reasoning: 5 });
    expect(Usage.safeParse(u).success).toBe(true);
    expect(u).toMatchObject({ cache_read_tokens: 8, cache_write_tokens: 2, reasoning_tokens: 2 });
    expect(makeUsage({ input: -3, output: Number.NaN })).toMatchObject({ input_tokens: 0, output_tokens: 0 });
  });

  it("renders the OpenAI block clients read", () => {
    const block = openAIUsageBlock(makeUsage({ input: 10, output: 4, cacheRead: 3, reasoning: 1 }));
    expect(block).toEqual({
      prompt_tokens: 10,
      completion_tokens: 4,
      total_tokens: 14,
      prompt_tokens_details: { cached_tokens: 3 },
      completion_tokens_details: { reasoning_tokens: 1 },
    });
  });
});
