import { describe, expect, it } from "vitest";
import { describeIssues } from "./config-issues.ts";
import { parseConfigHeader } from "./parse-config-header.ts";

describe("parseConfigHeader", () => {
  it("parses an inline JSON config", () => {
    const result = parseConfigHeader(' {"provider": "openai", "api_key": "sk"} ');
    expect(result).toMatchObject({ ok: true, config: { provider: "openai", api_key: "sk", weight: 1 } });
  });

  it("recognises a saved config id", () => {
    expect(parseConfigHeader("pc-my-conf-a1b2c3")).toEqual({
      ok: false,
      kind: "saved_config_id",
      id: "pc-my-conf-a1b2c3",
    });
  });

  it("refuses malformed JSON with the parser's reason", () => {
    const result = parseConfigHeader('{"strategy": {"mode": "fallback"');
    expect(result).toMatchObject({ ok: false, kind: "invalid" });
    if (result.ok || result.kind !== "invalid") return;
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]!.message).toMatch(/^x-portkey-config is not valid JSON: /);
  });

  it("refuses anything that is neither a JSON object nor a pc- id", () => {
    for (const raw of ["openai", "[1,2]", "pc-", "pc-has space", ""]) {
      expect(parseConfigHeader(raw)).toMatchObject({
        ok: false,
        kind: "invalid",
        issues: [{ path: "", message: "x-portkey-config must be a JSON object or a saved config id (pc-...)" }],
      });
    }
  });

  it("lists every failing path, rendered into one message", () => {
    const result = parseConfigHeader(
      JSON.stringify({ strategy: { mode: "loadbalance" }, targets: [{ provider: "a", weight: 0 }, { weight: -1 }] }),
    );
    if (result.ok || result.kind !== "invalid") throw new Error("expected invalid");
    expect(describeIssues(result.issues)).toBe(
      "targets[1].weight: Too small: expected number to be >=0; " +
        "targets[1]: a target needs provider (with api_key), virtual_key or prompt_id",
    );
  });
});
