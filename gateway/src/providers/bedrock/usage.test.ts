import { describe, expect, it } from "vitest";
import { usageFromBedrock } from "./usage.ts";

/** Each provider's usage block → the event's convention (input ⊇ cache reads/writes, output ⊇ reasoning). */
describe("usage mapping", () => {
  it("Bedrock: cache reads and writes are added to input (they are reported apart)", () => {
    const expected = { input_tokens: 100, output_tokens: 7, cache_read_tokens: 60, cache_write_tokens: 30 };
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
});
