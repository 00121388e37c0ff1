import { describe, expect, it } from "vitest";
import { usageFromOpenAI } from "./usage.ts";

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
