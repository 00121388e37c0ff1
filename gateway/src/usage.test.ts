import { Usage } from "@switchyard/events";
import { describe, expect, it } from "vitest";
import {
  makeUsage,
  openAIUsageBlock,
  usageFromAnthropic,
  usageFromBedrock,
  usageFromCohere,
  usageFromGemini,
  usageFromOpenAI,
} from "./usage.ts";

/** Each provider's usage block → the event's convention (input ⊇ cache reads/writes, output ⊇ reasoning). */
describe("usage mapping", () => {
  it("OpenAI: prompt includes cached, completion includes reasoning", () => {
    const u = usageFromOpenAI({
      prompt_tokens: 100,
      completion_tokens: 50,
      prompt_tokens_details: { cached_tokens: 40 },
      completion_tokens_details: { reasoning_tokens: 20 },
    });
    expect(u).toEqual({
      input_tokens: 100,
      output_tokens: 50,
      cache_read_tokens: 40,
      cache_write_tokens: 0,
      reasoning_tokens: 20,
      estimated: false,
    });
  });

  it("Anthropic and Bedrock: cache reads and writes are added to input (they are reported apart)", () => {
    const expected = { input_tokens: 100, output_tokens: 7, cache_read_tokens: 60, cache_write_tokens: 30 };
    expect(
      usageFromAnthropic({
        input_tokens: 10,
        cache_read_input_tokens: 60,
        cache_creation_input_tokens: 30,
        output_tokens: 7,
      }),
    ).toMatchObject(expected);
    expect(
      usageFromBedrock({
        inputTokens: 10,
        cacheReadInputTokens: 60,
        cacheWriteInputTokens: 30,
        outputTokens: 7,
        totalTokens: 107,
      }),
    ).toMatchObject(expected);
  });

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

  it("Cohere: billed units, else tokens", () => {
    expect(
      usageFromCohere({
        billed_units: { input_tokens: 5, output_tokens: 6 },
        tokens: { input_tokens: 70, output_tokens: 6 },
      }),
    ).toMatchObject({ input_tokens: 5, output_tokens: 6 });
    expect(usageFromCohere({ tokens: { input_tokens: 70, output_tokens: 6 } })).toMatchObject({ input_tokens: 70 });
  });

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

describe("usageFromOpenAI rejects what is not a usage block", () => {
  it.each([
    ["not an object", "12"],
    ["a fractional count", { prompt_tokens: 1.5, completion_tokens: 1 }],
    ["a negative count", { prompt_tokens: 3, completion_tokens: -1 }],
    ["a string count", { prompt_tokens: "3", completion_tokens: 1 }],
    ["details that are not an object", { prompt_tokens: 3, completion_tokens: 1, prompt_tokens_details: 5 }],
    ["a bad cached count", { prompt_tokens: 3, completion_tokens: 1, prompt_tokens_details: { cached_tokens: -2 } }],
  ])("%s → null", (_name, raw) => {
    expect(usageFromOpenAI(raw)).toBeNull();
  });
  it("treats absent counts and null details as zero", () => {
    expect(usageFromOpenAI({ completion_tokens: 4, prompt_tokens_details: null })).toMatchObject({
      input_tokens: 0,
      output_tokens: 4,
      cache_read_tokens: 0,
    });
  });
});
