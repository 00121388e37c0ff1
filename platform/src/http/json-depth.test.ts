import { describe, expect, it } from "vitest";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "./json-depth.ts";

const nested = (depth: number, open = "[", close = "]") => `${open.repeat(depth)}${close.repeat(depth)}`;

describe("jsonDepthExceeds", () => {
  it("is exact at the bound for arrays, objects and a mix", () => {
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    const objects = `${'{"a":'.repeat(5)}1${"}".repeat(5)}`;
    expect(jsonDepthExceeds(objects, 5)).toBe(false);
    expect(jsonDepthExceeds(objects, 4)).toBe(true);
    expect(jsonDepthExceeds('{"a":[{"b":[1]}]}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":[{"b":[1]}]}', 3)).toBe(true);
  });

  it("counts depth, not brackets: siblings do not add up", () => {
    expect(jsonDepthExceeds(`[${Array.from({ length: 10_000 }, () => "[[]]").join(",")}]`, 3)).toBe(false);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(jsonDepthExceeds(JSON.stringify({ text: "[[[[[[{{{{{{" }), 1)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ text: 'say \\"[[[[[[\\" and "[[[["' }), 1)).toBe(false);
    // A string ending in an escaped backslash closes at the next quote.
    expect(jsonDepthExceeds(JSON.stringify(["\\", [[["x"]]]]), 3)).toBe(true);
    expect(jsonDepthExceeds(JSON.stringify(["\\", [[["x"]]]]), 4)).toBe(false);
  });

  it("leaves invalid JSON to JSON.parse", () => {
    expect(jsonDepthExceeds('{"unterminated: [[[[[[[[', 2)).toBe(false);
    expect(jsonDepthExceeds("]]]]", 1)).toBe(false);
    expect(jsonDepthExceeds("", 1)).toBe(false);
  });

  it("handles 10,000 levels without recursion", () => {
    expect(jsonDepthExceeds(nested(10_000, '{"a":', "}"))).toBe(true);
  });
});
