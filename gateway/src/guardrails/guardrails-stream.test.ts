import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildTestGateway } from "../test-support.ts";

/**
 * Output rewrites on streams and hook_results on /v1/messages, through the gateway (mock provider:
 * it answers with the last user message quoted, streamed word by word, so a phone number spans
 * several chunks). A stream whose output hooks may rewrite is held back, rewritten whole, then sent.
 */
const gw = buildTestGateway();
let base = "";
beforeAll(async () => {
  base = await gw.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(() => gw.close());
beforeEach(() => {
  gw.sink.events.length = 0;
});

const NON_STRICT = { "x-portkey-strict-open-ai-compliance": "false" };
const REDACT = { output_guardrails: [{ id: "scrub", pii: { redact: true } }] };

async function post(path: string, config: object, body: object, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
      "x-portkey-config": JSON.stringify({ provider: "mock", ...config }),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

const chatBody = (content: string) => ({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content }] });
const messagesBody = (content: string, stream: boolean) => ({
  model: "claude-3-5-haiku",
  max_tokens: 64,
  stream,
  messages: [{ role: "user", content }],
});
const dataOf = (sse: string) =>
  sse
    .split("\n\n")
    .map((f) =>
      f
        .split("\n")
        .find((l) => l.startsWith("data: "))
        ?.slice(6),
    )
    .filter((d): d is string => d !== undefined && d !== "[DONE]")
    .map((d) => JSON.parse(d));

describe("output rewrites on streams", () => {
  it("chat: a phone number split across chunks is redacted from the stream; results last for non-strict clients", async () => {
    const res = await post("/v1/chat/completions", REDACT, chatBody("call +1 415-555-0132 now"), NON_STRICT);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain("555-0132");
    const events = dataOf(res.text);
    const content = events.map((e) => e.choices?.[0]?.delta?.content ?? "").join("");
    expect(content).toContain('You said: "call {{PHONE_NUMBER_1}} now');
    const last = events.at(-1);
    expect(last.hook_results.after_request_hooks[0]).toMatchObject({ id: "scrub", verdict: true, transformed: true });
    expect(res.text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const [event] = await gw.sink.waitFor(1);
    expect(event?.guardrail_hooks[0]).toMatchObject({ hook_id: "scrub", transformed: true });
  });

  it("chat: regexReplace on the answer applies to the stream too (strict clients get no extra event)", async () => {
    const config = { output_guardrails: [{ "default.regexReplace": { rule: "Switchyard", redactText: "[GW]" } }] };
    const res = await post("/v1/chat/completions", config, chatBody("hi"));
    expect(res.status).toBe(200);
    const events = dataOf(res.text);
    expect(events.map((e) => e.choices?.[0]?.delta?.content ?? "").join("")).toContain("from [GW] for");
    expect(events.some((e) => e.hook_results !== undefined)).toBe(false);
  });

  it("/v1/messages stream: Anthropic text deltas redacted; hook_results as `event: hook_results` frames", async () => {
    const config = { ...REDACT, input_guardrails: [{ id: "len", "default.wordCount": { maxWords: 50 } }] };
    const res = await post("/v1/messages", config, messagesBody("mail jo@example.com", true), NON_STRICT);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain("jo@example.com");
    expect(res.text.startsWith("event: hook_results\n")).toBe(true);
    const events = dataOf(res.text);
    const text = events.map((e) => (e.type === "content_block_delta" ? e.delta.text : "")).join("");
    expect(text).toContain("mail {{EMAIL_ADDRESS_1}}");
    const results = events.filter((e) => e.type === "hook_results").map((e) => e.hook_results);
    expect(results.map((r) => [r.before_request_hooks.length, r.after_request_hooks.length])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(events.at(-1)?.type).toBe("message_stop");
  });
});

describe("hook_results on /v1/messages JSON", () => {
  it("a 446 is Anthropic's error shape and still says which check denied", async () => {
    const config = { input_guardrails: [{ id: "no-mail", pii: { categories: ["EMAIL_ADDRESS"] }, deny: true }] };
    const res = await post("/v1/messages", config, messagesBody("mail jo@example.com", false));
    expect(res.status).toBe(446);
    const body = JSON.parse(res.text);
    expect(body).toMatchObject({ type: "error", error: { message: expect.stringContaining("hook_results") } });
    expect(body.hook_results.before_request_hooks[0]).toMatchObject({ id: "no-mail", verdict: false, deny: true });
    expect(res.text).not.toContain("jo@example.com");
  });
});
