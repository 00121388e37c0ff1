import { describe, expect, it } from "vitest";
import { usageFromAnthropic } from "./usage.ts";

/** Each provider's usage block → the event's convention (input ⊇ cache reads/writes, output ⊇ reasoning). */
describe("usage mapping", () => {
  it("Anthropic: cache reads and writes are added to input (they are reported apart)", () => {
    const expected = { input_tokens: 100, output_tokens: 7, cache_read_tokens: 60, cache_write_tokens: 30 };
    expect(
      usageFromAnthropic({
        input_tokens: 10,
        cache_read_input_tokens: 60,
        cache_creation_input_tokens: 30,
        output_tokens: 7,
      }),
    ).toMatchObject(expected);
  });
});
