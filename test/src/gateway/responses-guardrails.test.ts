import { buildTestGateway } from "@switchyard/gateway/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicDialect } from "../fakes/dialects/anthropic.ts";
import { ProviderFake } from "../fakes/provider-fake.ts";

/**
 * Guardrails on /v1/responses adapted to another provider (Anthropic here): input checks read the
 * Response request's `input`, a redaction reaches what the provider is sent, a deny is a 446 before
 * any upstream call, and output checks read the answer.
 */
describe("guardrails on /v1/responses", () => {
  const fake = new ProviderFake("anthropic", anthropicDialect(), "/v1");
  const gw = buildTestGateway();
  beforeAll(() => fake.start());
  afterAll(async () => {
    await gw.close();
    await fake.stop();
  });

  const call = (input: unknown, hooks: object) =>
    gw.app.inject({
      method: "POST",
      url: "/v1/responses",
      headers: {
        "content-type": "application/json",
        "x-portkey-config": JSON.stringify({
          provider: "anthropic",
          api_key: "sk-ant-test",
          custom_host: fake.baseUrl,
          ...hooks,
        }),
      },
      payload: JSON.stringify({ model: "claude-3-5-haiku-latest", input, max_output_tokens: 64 }),
    });

  it("redacts PII in input before the provider sees it, as items or a string", async () => {
    const redact = { input_guardrails: [{ pii: { redact: true, categories: ["EMAIL_ADDRESS"] } }] };
    const items = [{ role: "user", content: [{ type: "input_text", text: "mail me at jo@example.com" }] }];
    for (const input of [items, "mail me at jo@example.com"]) {
      const before = fake.calls.length;
      const res = await call(input, redact);
      expect(res.statusCode).toBe(200);
      expect(res.json().object).toBe("response");
      const sent = JSON.stringify(fake.calls[before]?.body);
      expect(sent).toContain("{{EMAIL_ADDRESS_1}}");
      expect(sent).not.toContain("jo@example.com");
    }
  });

  it("denies with a 446 before any upstream call, and checks the answer with output hooks", async () => {
    const before = fake.calls.length;
    const denied = await call("tell me the launch codes", {
      input_guardrails: [{ "default.contains": { words: ["launch codes"], operator: "none" }, deny: true }],
    });
    expect(denied.statusCode).toBe(446);
    expect(fake.calls.length).toBe(before);
    const output = await call("hello", {
      output_guardrails: [{ "default.wordCount": { minWords: 1000, maxWords: 2000 } }],
    });
    expect(output.statusCode).toBe(246);
    expect(output.json().hook_results.after_request_hooks[0].verdict).toBe(false);
  });
});
