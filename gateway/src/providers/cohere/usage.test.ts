import { describe, expect, it } from "vitest";
import { usageFromCohere } from "./usage.ts";

/** Each provider's usage block → the event's convention (input ⊇ cache reads/writes, output ⊇ reasoning). */
describe("usage mapping", () => {
  it("Cohere: billed units, else tokens", () => {
    expect(
      usageFromCohere({
        billed_units: { input_tokens: 5, output_tokens: 6 },
        tokens: { input_tokens: 70, output_tokens: 6 },
      }),
    ).toMatchObject({ input_tokens: 5, output_tokens: 6 });
    expect(usageFromCohere({ tokens: { input_tokens: 70, output_tokens: 6 } })).toMatchObject({ input_tokens: 70 });
  });
});
