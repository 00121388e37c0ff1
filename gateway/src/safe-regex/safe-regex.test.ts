import { describe, expect, it } from "vitest";
import { compilePattern, MAX_PATTERN_LENGTH, PatternCache, PatternError, patternProblem } from "./safe-regex.ts";

describe("compilePattern", () => {
  it("matches like RegExp.test on ordinary patterns, JavaScript syntax included", () => {
    const cases: [string, string, boolean][] = [
      ["^gpt-4", "gpt-4o", true],
      ["^gpt-4", "my-gpt-4", false],
      ["/chat/", "/v1/chat/completions", true],
      ["^5\\d\\d$", "500", true],
      ["(?<tier>gold|silver)", "silver plan", true],
      ["\\u00e9t\\u{e9}", "été", true],
      ["\\bsecret\\b", "a secretary", false],
    ];
    for (const [pattern, input, expected] of cases) {
      expect(compilePattern(pattern).test(input), pattern).toBe(expected);
      expect(new RegExp(pattern, "u").test(input), pattern).toBe(expected);
    }
  });

  it("honours the i, m and s flags and ignores g", () => {
    expect(compilePattern("^hello", "i").test("HELLO")).toBe(true);
    expect(compilePattern("^b$", "m").test("a\nb\nc")).toBe(true);
    expect(compilePattern("a.b", "s").test("a\nb")).toBe(true);
    expect(compilePattern("a.b").test("a\nb")).toBe(false);
    expect(compilePattern("x", "g").test("x")).toBe(true);
    expect(() => compilePattern("x", "q")).toThrow('unknown regular expression flag "q"');
  });

  it("runs the catastrophic backtracking pattern in linear time", () => {
    const regex = compilePattern("(a+)+$");
    const input = `${"a".repeat(10_000)}!`;
    const started = performance.now();
    expect(regex.test(input)).toBe(false);
    expect(regex.test(`${"a".repeat(100_000)}!`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
    expect(regex.test("aaa")).toBe(true);
  });

  it("refuses an over-long pattern, invalid syntax, backreferences and lookaround", () => {
    expect(patternProblem("a".repeat(MAX_PATTERN_LENGTH + 1))).toBe(
      `pattern is ${MAX_PATTERN_LENGTH + 1} characters; at most ${MAX_PATTERN_LENGTH} are allowed`,
    );
    expect(patternProblem("([a-z")).toMatch(/^invalid regular expression: missing closing \]/);
    expect(patternProblem("(a)\\1")).toMatch(/^invalid regular expression: invalid escape sequence/);
    expect(patternProblem("(?=a)b")).toMatch(/^invalid regular expression: .*unsupported Perl syntax/);
    expect(patternProblem(42)).toBe("a pattern must be a string");
    expect(patternProblem("^ok$")).toBeNull();
    expect(() => compilePattern("(")).toThrow(PatternError);
  });

  it("refuses a short pattern whose compiled program is too large (cost is program × input)", () => {
    // Also pins that RE2JS still exposes its program: were the size unreadable, this would pass through.
    expect(patternProblem("[\\s\\S]{600}[\\s\\S]{600}")).toMatch(
      /too complex \(1\d{3} instructions compiled; at most 1000\)/,
    );
    expect(patternProblem("\\w{900}")).toBeNull();
  });
});

describe("PatternCache", () => {
  it("compiles once per pattern and flags, drops the least recently used beyond its bound", () => {
    const cache = new PatternCache(2);
    const a = cache.get("a");
    expect(cache.get("a")).toBe(a);
    expect(cache.get("a", "i")).not.toBe(a);
    cache.get("a"); // a is now the most recent
    cache.get("b"); // evicts ("i", "a")
    expect(cache.size).toBe(2);
    expect(cache.get("a")).toBe(a);
    expect(() => cache.get("(")).toThrow(PatternError);
    expect(cache.size).toBe(2);
  });
});
