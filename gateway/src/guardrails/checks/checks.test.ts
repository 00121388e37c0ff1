import { describe, expect, it } from "vitest";
import type { CheckInput, CheckOutcome, CheckServices, HookStage } from "../types.ts";
import { BUILT_IN_CHECK_IDS, canonicalCheckId, checkIssues, prepareCheck } from "./registry.ts";

/** Every built-in check on passing and failing input (the HTTP ones are in http-checks.test.ts). */

const services: CheckServices = {
  checkUrl: () => Promise.reject(new Error("no network in this test")),
  fetch: () => Promise.reject(new Error("no network in this test")),
};

function input(text: string, more: Partial<CheckInput> = {}): CheckInput {
  return {
    stage: "before" as HookStage,
    texts: [text],
    text,
    requestJson: { model: "gpt-4o", messages: [{ role: "user", content: text }] },
    responseJson: null,
    responseStatus: null,
    model: "gpt-4o",
    provider: "openai",
    requestType: "chatComplete",
    isStreaming: false,
    metadata: {},
    headers: {},
    signal: new AbortController().signal,
    ...more,
  };
}

async function run(
  id: string,
  parameters: Record<string, unknown>,
  text: string,
  more: Partial<CheckInput> = {},
): Promise<CheckOutcome> {
  return await prepareCheck(id, parameters, services)(input(text, more));
}

const verdict = async (id: string, parameters: Record<string, unknown>, text: string, more: Partial<CheckInput> = {}) =>
  (await run(id, parameters, text, more)).verdict;

describe("text checks", () => {
  it.each([
    ["regexMatch", { rule: "^order-\\d+$" }, "order-42", "order-x"],
    ["regexMatch", { rule: "/SECRET/i" }, "a secret here", "nothing"],
    ["wordCount", { minWords: 2, maxWords: 3 }, "two words", "one"],
    ["sentenceCount", { minSentences: 2 }, "One. Two!", "Only one."],
    ["characterCount", { maxCharacters: 5 }, "short", "too long"],
    ["contains", { words: ["apple", "pear"], operator: "any" }, "an apple", "a plum"],
    ["contains", { words: ["apple", "pear"], operator: "all" }, "apple and pear", "apple"],
    ["contains", { words: ["apple"], operator: "none" }, "a plum", "an apple"],
    ["endsWith", { suffix: "Thanks." }, "Reply. Thanks.", "Reply."],
    ["alluppercase", {}, "LOUD TEXT 1", "Quiet"],
    ["alllowercase", {}, "quiet text", "Quiet"],
    ["notNull", {}, "something", "   "],
    ["containsCode", { format: "sql" }, "```sql\nSELECT 1\n```", "```python\nprint(1)\n```"],
  ])("%s %j: passes on %j, fails on %j", async (id, parameters, good, bad) => {
    expect(await verdict(`default.${id}`, parameters, good)).toBe(true);
    expect(await verdict(`default.${id}`, parameters, bad)).toBe(false);
  });

  it("regexMatch on empty text is an error (so it fails open unless failOnError)", async () => {
    await expect(run("default.regexMatch", { rule: "x" }, "")).rejects.toThrow(/no text/);
  });

  it("regexReplace rewrites every match, passes unless failOnDetection", async () => {
    const out = await run(
      "default.regexReplace",
      { rule: "\\d{3}-\\d{2}-\\d{4}", redactText: "[SSN]" },
      "ssn 123-45-6789",
    );
    expect(out).toMatchObject({ verdict: true, texts: ["ssn [SSN]"], data: { replacements: 1 } });
    const strict = await run("default.regexReplace", { rule: "\\d+", failOnDetection: true }, "a 1");
    expect(strict.verdict).toBe(false);
    expect((await run("default.regexReplace", { rule: "\\d+" }, "none")).texts).toBeUndefined();
  });
});

describe("JSON checks", () => {
  const schema = { type: "object", required: ["name"], properties: { name: { type: "string" } } };
  it("jsonSchema (draft 2020-12) reads a fenced block or the outermost object", async () => {
    expect(await verdict("default.jsonSchema", { schema }, 'Here: ```json\n{"name":"x"}\n```')).toBe(true);
    expect(await verdict("default.jsonSchema", { schema }, 'prefix {"name": 3} suffix')).toBe(false);
    expect(await verdict("default.jsonSchema", { schema }, "no json at all")).toBe(false);
    const tuple = { type: "array", prefixItems: [{ type: "number" }], items: false };
    expect(
      await verdict("default.jsonSchema", { schema: { type: "object", properties: { t: tuple } } }, '{"t":[1]}'),
    ).toBe(true);
    expect(
      await verdict("default.jsonSchema", { schema: { type: "object", properties: { t: tuple } } }, '{"t":[1,2]}'),
    ).toBe(false);
  });

  it("jsonKeys any / all / none", async () => {
    expect(await verdict("default.jsonKeys", { keys: ["a", "b"], operator: "all" }, '{"a":1,"b":2}')).toBe(true);
    expect(await verdict("default.jsonKeys", { keys: ["a", "b"], operator: "all" }, '{"a":1}')).toBe(false);
    expect(await verdict("default.jsonKeys", { keys: ["a"], operator: "none" }, '{"b":1}')).toBe(true);
    expect(await verdict("default.jsonKeys", { keys: ["a"], operator: "any" }, '{"b":1}')).toBe(false);
  });
});

describe("request checks", () => {
  it("modelWhitelist (and Portkey's manifest id modelwhitelist)", async () => {
    expect(await verdict("default.modelWhitelist", { models: ["gpt-4o"] }, "x")).toBe(true);
    expect(await verdict("default.modelwhitelist", { models: ["gpt-4o-mini"] }, "x")).toBe(false);
  });

  it("modelRules: metadata rules first, defaults otherwise", async () => {
    const rules = { defaults: ["gpt-4o-mini"], metadata: { team: { research: ["gpt-4o"] } } };
    expect(await verdict("default.modelRules", { rules }, "x", { metadata: { team: "research" } })).toBe(true);
    expect(await verdict("default.modelRules", { rules }, "x", { metadata: {} })).toBe(false);
    expect(await verdict("default.modelRules", { rules }, "x", { model: "gpt-4o-mini" })).toBe(true);
  });

  it("allowedRequestTypes: allowed list, blocked list (wins), metadata lists", async () => {
    expect(await verdict("default.allowedRequestTypes", { allowedTypes: ["chatComplete"] }, "x")).toBe(true);
    expect(await verdict("default.allowedRequestTypes", { allowedTypes: ["embed"] }, "x")).toBe(false);
    expect(
      await verdict(
        "default.allowedRequestTypes",
        { allowedTypes: ["chatComplete"], blockedTypes: ["chatComplete"] },
        "x",
      ),
    ).toBe(false);
    expect(
      await verdict("default.allowedRequestTypes", {}, "x", { metadata: { blocked_endpoints: "embed, chatComplete" } }),
    ).toBe(false);
  });

  it("requiredMetadataKeys all / any / none", async () => {
    const metadata = { _user: "u1" };
    expect(await verdict("default.requiredMetadataKeys", { metadataKeys: ["_user"] }, "x", { metadata })).toBe(true);
    expect(await verdict("default.requiredMetadataKeys", { metadataKeys: ["_user", "team"] }, "x", { metadata })).toBe(
      false,
    );
    expect(
      await verdict("default.requiredMetadataKeys", { metadataKeys: ["_user", "team"], operator: "any" }, "x", {
        metadata,
      }),
    ).toBe(true);
    expect(
      await verdict("default.requiredMetadataKeys", { metadataKeys: ["_user"], operator: "none" }, "x", { metadata }),
    ).toBe(false);
  });

  it("addPrefix prefixes the last message of the role, or adds one", async () => {
    const out = await run("default.addPrefix", { prefix: "Be brief. " }, "hello");
    expect(out.requestJson).toMatchObject({ messages: [{ role: "user", content: "Be brief. hello" }] });
    const system = await run("default.addPrefix", { prefix: "You are terse.", applyToRole: "system" }, "hello");
    expect(system.requestJson).toMatchObject({
      messages: [{ role: "system", content: "You are terse." }, { role: "user" }],
    });
  });
});

describe("pii", () => {
  it("fails on PII without redact; passes and rewrites with redact; honours categories; portkey.pii alias", async () => {
    expect(await verdict("pii", {}, "write to a@b.io")).toBe(false);
    expect(await verdict("pii", {}, "nothing personal")).toBe(true);
    expect(await verdict("portkey.pii", { categories: ["SSN"] }, "write to a@b.io")).toBe(true);
    const out = await run("pii", { redact: true }, "a@b.io and a@b.io and c@d.io");
    expect(out).toMatchObject({
      verdict: true,
      texts: ["{{EMAIL_ADDRESS_1}} and {{EMAIL_ADDRESS_1}} and {{EMAIL_ADDRESS_2}}"],
    });
    expect(out.explanation).toBe("redacted EMAIL_ADDRESS: 3");
  });
});

describe("config validation", () => {
  it("knows every check the issue lists", () => {
    for (const id of [
      "regexMatch",
      "regexReplace",
      "wordCount",
      "sentenceCount",
      "characterCount",
      "jsonSchema",
      "jsonKeys",
      "contains",
      "validUrls",
      "containsCode",
      "endsWith",
      "alluppercase",
      "alllowercase",
      "notNull",
      "modelWhitelist",
      "modelRules",
      "allowedRequestTypes",
      "requiredMetadataKeys",
      "jwt",
      "addPrefix",
      "webhook",
      "log",
      "pii",
    ]) {
      expect(canonicalCheckId(id), id).toBe(`default.${id}`);
    }
    expect(BUILT_IN_CHECK_IDS).toHaveLength(23);
  });

  it("names the bad parameter: missing, invalid regex, schema that does not compile, wrong side, unknown id", () => {
    expect(checkIssues("default.contains", {}, "before")).toEqual([{ path: ["words"], message: expect.any(String) }]);
    expect(checkIssues("default.regexMatch", { rule: "(a)\\1" }, "before")[0]).toMatchObject({
      path: ["rule"],
      message: expect.stringMatching(/^invalid regular expression/),
    });
    expect(checkIssues("default.jsonSchema", { schema: { type: 12 } }, "after")[0]).toMatchObject({
      path: ["schema"],
      message: expect.stringContaining("does not compile"),
    });
    expect(checkIssues("default.jsonSchema", { schema: {} }, "before")[0]?.message).toMatch(/does not run on input/);
    expect(checkIssues("default.nope", {}, null)[0]?.message).toMatch(/^unknown check "default.nope"/);
    expect(checkIssues("default.webhook", { webhookURL: "ftp://x" }, "before")[0]?.path).toEqual(["webhookURL"]);
  });
});
