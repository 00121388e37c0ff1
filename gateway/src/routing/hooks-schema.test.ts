import { describe, expect, it } from "vitest";
import { validateConfig } from "./config-schema.ts";

const issuesOf = (config: unknown) => {
  const result = validateConfig(config);
  return result.ok ? {} : Object.fromEntries(result.issues.map((issue) => [issue.path, issue.message]));
};

describe("guardrail regex parameters", () => {
  it("a default.regexMatch rule is checked as a safe (RE2) pattern, long form and shorthand", () => {
    const config = {
      provider: "openai",
      before_request_hooks: [
        { id: "ok", checks: [{ id: "default.regexMatch", parameters: { rule: "^[a-z]+\\d{3}$", not: false } }] },
        { id: "bad", checks: [{ id: "default.regexMatch", parameters: { rule: "(a)\\1" } }] },
      ],
      input_guardrails: [{ "default.regexMatch": { rule: "x".repeat(600) }, deny: true }],
      output_guardrails: [{ "default.regexMatch": { rule: "(?<![a-z])secret" } }],
    };
    const issues = issuesOf(config);
    expect(Object.keys(issues)).toEqual([
      'input_guardrails[0]["default.regexMatch"].rule',
      'output_guardrails[0]["default.regexMatch"].rule',
      "before_request_hooks[1].checks[0].parameters.rule",
    ]);
    expect(issues["before_request_hooks[1].checks[0].parameters.rule"]).toMatch(/^invalid regular expression/);
    expect(issues['input_guardrails[0]["default.regexMatch"].rule']).toMatch(/at most 512/);
  });

  it("other checks' parameters are not read as patterns", () => {
    const config = {
      provider: "openai",
      input_guardrails: [{ "default.contains": { operator: "any", words: ["(a"] } }],
    };
    expect(issuesOf(config)).toEqual({});
  });
});
