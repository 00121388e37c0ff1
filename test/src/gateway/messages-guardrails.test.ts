import Anthropic from "@anthropic-ai/sdk";
import { buildTestGateway } from "@switchyard/gateway/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { anthropicDialect } from "../fakes/dialects/anthropic.ts";
import { FAKE_TEXT, ProviderFake } from "../fakes/provider-fake.ts";

/**
 * Guardrails on native /v1/messages (the Anthropic answer passed through byte for byte) with the
 * unmodified Anthropic SDK: hook_results ride on the JSON answer as on chat completions (Portkey's
 * field), a 446 is Anthropic's error shape carrying them, and an output redaction applies to the
 * native stream (the fake echoes a tool result, so the answer holds what the test put there).
 */
const fake = new ProviderFake("anthropic", anthropicDialect(), "/v1");
const gw = buildTestGateway();
let base = "";
beforeAll(async () => {
  await fake.start();
  base = await gw.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await gw.close();
  await fake.stop();
});
beforeEach(() => {
  fake.reset();
});

const client = (hooks: object, headers: Record<string, string> = {}) =>
  new Anthropic({
    apiKey: "sk-ant-test",
    baseURL: base,
    maxRetries: 0,
    defaultHeaders: {
      "x-portkey-config": JSON.stringify({ provider: "anthropic", custom_host: fake.baseUrl, ...hooks }),
      ...headers,
    },
  });

const ask = {
  model: "claude-3-5-haiku-latest",
  max_tokens: 64,
  messages: [{ role: "user" as const, content: "hello" }],
};
/** A conversation whose answer (the fake's) quotes the tool result: "The tool said: <text>". */
const echo = (text: string) => ({
  model: "claude-3-5-haiku-latest",
  max_tokens: 64,
  messages: [
    { role: "user" as const, content: "look it up" },
    { role: "assistant" as const, content: [{ type: "tool_use" as const, id: "t1", name: "lookup", input: {} }] },
    { role: "user" as const, content: [{ type: "tool_result" as const, tool_use_id: "t1", content: text }] },
  ],
});

describe("native /v1/messages with guardrails", () => {
  it("hook_results ride on the passed-through answer; a failed hook without deny is a 246", async () => {
    const pass = await client({ input_guardrails: [{ id: "len", "default.wordCount": { maxWords: 5 } }] })
      .messages.create(ask)
      .withResponse();
    expect(pass.response.status).toBe(200);
    expect(pass.data.content[0]).toMatchObject({ type: "text", text: FAKE_TEXT });
    const results = (pass.data as unknown as { hook_results: { before_request_hooks: Array<{ id: string }> } })
      .hook_results;
    expect(results.before_request_hooks.map((h) => h.id)).toEqual(["len"]);
    const warn = await client({ output_guardrails: [{ id: "long", "default.wordCount": { minWords: 100 } }] })
      .messages.create(ask)
      .withResponse();
    expect(warn.response.status).toBe(246);
    expect(warn.data.content[0]).toMatchObject({ text: FAKE_TEXT });
    expect(fake.calls.length).toBe(2);
  });

  it("a denied answer is a 446 APIError whose body names the check", async () => {
    const deny = {
      output_guardrails: [{ id: "no-fake", "default.contains": { words: ["fake"], operator: "none" }, deny: true }],
    };
    const error = await client(deny)
      .messages.create(ask)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const api = error as InstanceType<typeof Anthropic.APIError>;
    expect(api.status).toBe(446);
    const body = api.error as {
      type: string;
      hook_results: { after_request_hooks: Array<{ id: string; deny: boolean }> };
    };
    expect(body.type).toBe("error");
    expect(body.hook_results.after_request_hooks[0]).toMatchObject({ id: "no-fake", deny: true });
  });

  it("an output redaction applies to the native stream: the SDK's final message and every frame are clean", async () => {
    const scrub = { output_guardrails: [{ id: "scrub", pii: { redact: true } }] };
    const stream = client(scrub, { "x-portkey-strict-open-ai-compliance": "false" }).messages.stream(
      echo("call +1 415-555-0132 or mail jo@example.com"),
    );
    const events: Array<{ type: string }> = [];
    stream.on("streamEvent", (e) => events.push(e));
    const message = await stream.finalMessage();
    const text = message.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    expect(text).toBe("The tool said: call {{PHONE_NUMBER_1}} or mail {{EMAIL_ADDRESS_1}}");
    expect(JSON.stringify(events)).not.toContain("555-0132");
    expect(fake.calls.length).toBe(1);
  });
});
