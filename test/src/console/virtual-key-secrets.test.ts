// The console's list of virtual-key secrets is platform's SECRET_FIELDS (what the admin API encrypts
// and never shows), so a new secret field gets its own masked input rather than landing, in plain
// sight, in the form's JSON box; and the JSON box refuses every one of them by name.

import { PLAIN_FIELDS, SECRET_FIELDS } from "@switchyard/platform";
import { describe, expect, it } from "vitest";
import { otherFieldsProblem, SECRET_NAMES, secretsOf } from "../../../console/web/pages/virtual-key-secrets.ts";

describe("the console's virtual-key secrets", () => {
  it("are exactly the admin API's secret fields", () => {
    expect(Object.keys(SECRET_NAMES).sort()).toEqual([...SECRET_FIELDS].sort());
  });

  it("give each provider the secrets its adapter reads (Portkey's aliases too), an API key otherwise", () => {
    expect(secretsOf("bedrock")).toEqual(secretsOf("aws-bedrock"));
    expect(secretsOf("bedrock")).toContain("aws_secret_access_key");
    expect(secretsOf("azure")).toContain("azure_entra_client_secret");
    expect(secretsOf("vertex-ai")).toContain("vertex_service_account_json");
    expect(secretsOf(" openai ")).toEqual(["api_key"]);
    // Every secret has an input under some provider.
    const shown = new Set(["bedrock", "azure-openai", "vertex-ai"].flatMap(secretsOf));
    expect([...shown].sort()).toEqual([...SECRET_FIELDS].sort());
  });

  it("refuses each secret's name in the JSON box, in words, and takes the plain fields", () => {
    for (const field of SECRET_FIELDS) {
      expect(otherFieldsProblem({ [field]: "x", aws_region: "us-east-1" })).toContain(`remove ${field}`);
    }
    expect(otherFieldsProblem(Object.fromEntries(PLAIN_FIELDS.map((f) => [f, "x"])))).toBeNull();
    expect(otherFieldsProblem(["api_key"])).toMatch(/must be a JSON object/);
  });
});
