import { describe, expect, it } from "vitest";
import { BoundedValues } from "./bounded-values.ts";

describe("BoundedValues: length and cardinality", () => {
  it("reports a value longer than maxLength as the overflow value, without taking a slot", () => {
    const b = new BoundedValues(2, "_OTHER", 8);
    expect(b.of("x".repeat(9))).toBe("_OTHER");
    expect(b.of("x".repeat(6 * 1024 * 1024))).toBe("_OTHER");
    expect(b.of("12345678")).toBe("12345678");
    expect(b.of("b")).toBe("b");
    expect(b.of("c")).toBe("_OTHER");
  });

  it(`bounds length at ${BoundedValues.DEFAULT_MAX_LENGTH} characters by default`, () => {
    const b = new BoundedValues(10);
    const longest = "m".repeat(BoundedValues.DEFAULT_MAX_LENGTH);
    expect(b.of(longest)).toBe(longest);
    expect(b.of(`${longest}m`)).toBe("_OTHER");
  });
});
