import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formatIssue, formatIssues, issueParam, issuePath } from "./zod-issues.ts";

const Body = z.object({ model: z.string(), messages: z.array(z.object({ role: z.enum(["user", "system"]) })) });
const issuesOf = (value: unknown) => Body.safeParse(value).error?.issues ?? [];

describe("zod issue formatting", () => {
  it("dotted paths (OpenAI's param notation), every issue on one line", () => {
    const issues = issuesOf({ messages: [{ role: "bot" }] });
    expect(formatIssues(issues, { root: "body" })).toMatch(/^model: .+; messages\.0\.role: .+$/);
    expect(issueParam(issues)).toBe("model");
  });

  it("bracketed paths quote keys that are not identifiers", () => {
    expect(issuePath(["targets", 1, "override_params", "x-key"], "bracketed")).toBe(
      'targets[1].override_params["x-key"]',
    );
    expect(issuePath(["strategy", "conditions", 0, "query", "metadata.tier", "$regex"], "bracketed")).toBe(
      'strategy.conditions[0].query["metadata.tier"].$regex',
    );
  });

  it("names a root issue as told, keeps a pre-formatted path, and joins as told", () => {
    const root = issuesOf("nope");
    expect(formatIssue(root[0]!)).toMatch(/^\(root\): /);
    expect(formatIssue(root[0]!, { root: "config" })).toMatch(/^config: /);
    expect(issueParam(root)).toBeNull();
    expect(issueParam([])).toBeNull();
    expect(formatIssue({ path: "targets[0].weight", message: "must be >= 0" })).toBe("targets[0].weight: must be >= 0");
    expect(
      formatIssues(
        [
          { path: ["A"], message: "x" },
          { path: ["B"], message: "y" },
        ],
        { separator: "\n" },
      ),
    ).toBe("A: x\nB: y");
  });
});
