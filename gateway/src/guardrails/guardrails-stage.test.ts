import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildTestGateway } from "../test-support.ts";

/**
 * The guardrails stage end to end through the gateway (mock provider: it answers with the last user
 * message quoted, so what reached "upstream" is visible in the answer): 446 with hook_results and no
 * upstream attempt, 246 with the normal body, redaction, output deny, streams, the event's records.
 */
const gw = buildTestGateway();
let base = "";
beforeAll(async () => {
  base = await gw.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(() => gw.close());
beforeEach(() => {
  gw.sink.events.length = 0;
  gw.sink.feedback.length = 0;
});

async function chat(
  config: object,
  content: string,
  extra: { stream?: boolean; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-portkey-config": JSON.stringify({ provider: "mock", ...config }),
      "x-portkey-trace-id": "guardrails-test",
      ...extra.headers,
    },
    body: JSON.stringify({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content }],
      stream: extra.stream === true,
    }),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

const sseEvents = (body: string) =>
  body
    .split("\n\n")
    .filter((f) => f.startsWith("data: ") && f !== "data: [DONE]")
    .map((f) => JSON.parse(f.slice(6)));

describe("input hooks", () => {
  it("deny → 446 with hook_results naming the failing check; no upstream attempt; the event says why", async () => {
    const config = { input_guardrails: [{ id: "short", "default.wordCount": { maxWords: 3 }, deny: true }] };
    const res = await chat(config, "one two three four five");
    expect(res.status).toBe(446);
    const body = res.json();
    expect(body.error).toEqual({
      message: expect.stringContaining("hook_results"),
      type: "hooks_failed",
      param: null,
      code: null,
    });
    const [hook] = body.hook_results.before_request_hooks;
    expect(hook).toMatchObject({ id: "short", verdict: false, deny: true, type: "guardrail", async: false });
    expect(hook.checks[0]).toMatchObject({ id: "default.wordCount", verdict: false, data: { words: 5, maxWords: 3 } });
    expect(hook.checks[0].explanation).toBeUndefined();
    expect(body.hook_results.after_request_hooks).toEqual([]);
    const [event] = await gw.sink.waitFor(1);
    expect(event).toMatchObject({ status_code: 446, error_type: "hooks_failed" });
    expect(event?.attempts.map((a) => a.status_code)).toEqual([446]);
    expect(event?.guardrail_hooks).toEqual([
      expect.objectContaining({ hook_id: "short", hook_type: "before_request", verdict: false, deny: true }),
    ]);
    expect(event?.guardrails[0]).toMatchObject({ check_id: "default.wordCount", verdict: false, deny: true });
    expect(event?.guardrails[0]?.explanation).toBe("5 words; allowed 0 to 3");
  });

  it("failed without deny → 246 and the normal answer plus hook_results", async () => {
    const config = { input_guardrails: [{ "default.contains": { words: ["please"] } }] };
    const res = await chat(config, "hello there");
    expect(res.status).toBe(246);
    const body = res.json();
    expect(body.object).toBe("chat.completion");
    expect(body.hook_results.before_request_hooks[0]).toMatchObject({ verdict: false, deny: false });
    expect(body.hook_results.before_request_hooks[0].id).toMatch(/^input_guardrail_[0-9a-z]{1,3}$/);
  });

  it("passing hooks → 200 with hook_results", async () => {
    const res = await chat(
      { before_request_hooks: [{ id: "g", checks: [{ id: "wordCount", parameters: { maxWords: 9 } }] }] },
      "hi",
    );
    expect(res.status).toBe(200);
    expect(res.json().hook_results.before_request_hooks[0]).toMatchObject({ id: "g", verdict: true });
  });

  it("pii redaction rewrites what goes upstream; the event and hook_results never hold the values", async () => {
    const config = { input_guardrails: [{ pii: { redact: true }, deny: true }] };
    const res = await chat(config, "mail bob@example.com or 123-45-6789");
    expect(res.status).toBe(200);
    const body = res.json();
    expect(body.choices[0].message.content).toContain("mail {{EMAIL_ADDRESS_1}} or {{SSN_1}}");
    expect(body.choices[0].message.content).not.toContain("bob@");
    const [event] = await gw.sink.waitFor(1);
    expect(event?.guardrail_hooks[0]).toMatchObject({ transformed: true, verdict: true });
    expect(JSON.stringify(event)).not.toContain("bob@example.com");
    expect(JSON.stringify(body.hook_results)).not.toContain("bob@example.com");
  });

  it("a stream denied on input is a 446 JSON answer", async () => {
    const res = await chat({ input_guardrails: [{ "default.regexMatch": { rule: "^ok" }, deny: true }] }, "nope", {
      stream: true,
    });
    expect(res.status).toBe(446);
    expect(res.json().error.type).toBe("hooks_failed");
  });

  it("non-strict stream clients get the input results as the first SSE event", async () => {
    const res = await chat({ input_guardrails: [{ "default.wordCount": { maxWords: 50 } }] }, "hi", {
      stream: true,
      headers: { "x-portkey-strict-open-ai-compliance": "false" },
    });
    expect(res.status).toBe(200);
    const events = sseEvents(res.text);
    expect(events[0].hook_results.before_request_hooks[0].verdict).toBe(true);
    expect(events[1].object).toBe("chat.completion.chunk");
  });
});

describe("strict OpenAI compliance off in the config", () => {
  it("strict_open_ai_compliance: false brings the results into the stream like the header does", async () => {
    const config = { strict_open_ai_compliance: false, input_guardrails: [{ "default.wordCount": { maxWords: 50 } }] };
    const res = await chat(config, "hi", { stream: true });
    expect(sseEvents(res.text)[0].hook_results.before_request_hooks[0].verdict).toBe(true);
  });
});

describe("output hooks", () => {
  it("deny on the answer → 446 replacing it", async () => {
    const res = await chat(
      { output_guardrails: [{ "default.contains": { words: ["secret"], operator: "none" }, deny: true }] },
      "tell the secret",
    );
    expect(res.status).toBe(446);
    const body = res.json();
    expect(body.choices).toBeUndefined();
    expect(body.hook_results.after_request_hooks[0]).toMatchObject({ verdict: false, deny: true });
  });

  it("an answer an output hook denies is not kept in the cache (the cache drops what the client was refused)", async () => {
    const config = {
      cache: { mode: "simple" },
      output_guardrails: [{ "default.contains": { words: ["mock completion"], operator: "none" }, deny: true }],
    };
    expect((await chat(config, "cached then denied")).status).toBe(446);
    // The first request's finishers (its event, the cache's removal) have run once its event is out.
    await gw.sink.waitFor(1);
    expect((await chat(config, "cached then denied")).status).toBe(446);
    const events = await gw.sink.waitFor(2);
    expect(events.map((e) => e.cache_status)).toEqual(["MISS", "MISS"]);
  });

  it("a denied stream is held back, checked and answered 446", async () => {
    const config = { output_guardrails: [{ "default.contains": { words: ["secret"], operator: "none" }, deny: true }] };
    const res = await chat(config, "tell the secret", { stream: true });
    expect(res.status).toBe(446);
    expect(res.json().hook_results.after_request_hooks[0].checks[0].verdict).toBe(false);
    const [event] = await gw.sink.waitFor(1);
    expect(event?.guardrail_hooks[0]).toMatchObject({ hook_type: "after_request", deny: true });
    expect(event?.usage?.output_tokens).toBeGreaterThan(0); // the answer was generated: its cost still counts
  });

  it("a held-back stream that passes is sent whole, results last for non-strict clients", async () => {
    const config = { output_guardrails: [{ "default.contains": { words: ["secret"], operator: "none" }, deny: true }] };
    const res = await chat(config, "hello", {
      stream: true,
      headers: { "x-portkey-strict-open-ai-compliance": "false" },
    });
    expect(res.status).toBe(200);
    const events = sseEvents(res.text);
    expect(events.at(-1).hook_results.after_request_hooks[0].verdict).toBe(true);
    expect(res.text.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("without deny a stream flows and records the output verdict in the event", async () => {
    const res = await chat({ output_guardrails: [{ "default.wordCount": { maxWords: 2 } }] }, "hello", {
      stream: true,
    });
    expect(res.status).toBe(200);
    expect(sseEvents(res.text).some((e) => e.hook_results)).toBe(false);
    const [event] = await gw.sink.waitFor(1);
    expect(event?.guardrail_hooks[0]).toMatchObject({ hook_type: "after_request", verdict: false, deny: false });
  });

  it("on_fail feedback goes through the feedback pipeline with the checks named", async () => {
    const config = {
      output_guardrails: [{ "default.wordCount": { maxWords: 2 }, on_fail: { feedback: { value: -5, weight: 1 } } }],
    };
    const res = await chat(config, "hello");
    expect(res.status).toBe(246);
    expect(gw.sink.feedback).toEqual([
      expect.objectContaining({
        trace_id: "guardrails-test",
        value: -5,
        weight: 1,
        metadata: expect.objectContaining({ failedChecks: "default.wordCount", successfulChecks: "" }),
      }),
    ]);
  });

  it("async hooks do not hold the answer; their result still reaches the event", async () => {
    const res = await chat({ output_guardrails: [{ "default.wordCount": { maxWords: 2 }, async: true }] }, "hello");
    expect(res.status).toBe(200);
    expect(res.json().hook_results).toBeUndefined();
    const [event] = await gw.sink.waitFor(1);
    expect(event?.guardrail_hooks[0]).toMatchObject({ async: true, verdict: false });
  });
});

describe("targets and attempts", () => {
  it("hooks are inherited by nested targets (a target's own win) and run per attempt: a 446 moves a fallback on", async () => {
    const config = {
      strategy: { mode: "fallback" },
      input_guardrails: [
        { id: "root-deny", "default.contains": { words: ["forbidden"], operator: "none" }, deny: true },
      ],
      targets: [
        { provider: "mock" },
        { provider: "mock", input_guardrails: [{ id: "own", "default.wordCount": { maxWords: 99 } }] },
      ],
    };
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-portkey-config": JSON.stringify(config) },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "a forbidden word" }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-portkey-last-used-option-index")).toBe("config.targets[1]");
    const answer = (await res.json()) as { hook_results: { before_request_hooks: Array<{ id: string }> } };
    expect(answer.hook_results.before_request_hooks.map((h) => h.id)).toEqual(["own"]);
    const [event] = await gw.sink.waitFor(1);
    expect(event?.attempts.map((a) => a.status_code)).toEqual([446, 200]);
    expect(event?.guardrail_hooks.map((h) => [h.hook_id, h.verdict])).toEqual([
      ["root-deny", false],
      ["own", true],
    ]);
  });
});

describe("/v1/messages", () => {
  const messages = (config: object, content: string) =>
    fetch(`${base}/v1/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        "x-portkey-config": JSON.stringify({ provider: "mock", ...config }),
      },
      body: JSON.stringify({ model: "claude-3-5-haiku", max_tokens: 64, messages: [{ role: "user", content }] }),
    });

  it("input hooks read the native messages: a deny is a 446, redaction reaches the provider", async () => {
    const denied = await messages({ input_guardrails: [{ pii: {}, deny: true }] }, "mail a@b.io");
    expect(denied.status).toBe(446);
    const redacted = await messages({ input_guardrails: [{ pii: { redact: true } }] }, "mail a@b.io");
    expect(redacted.status).toBe(200);
    const answer = (await redacted.json()) as { content: Array<{ text: string }> };
    expect(answer.content[0]?.text).toContain("mail {{EMAIL_ADDRESS_1}}");
  });
});

describe("bad hook configs are a 400 naming the path, before any upstream call", () => {
  it.each([
    [{ before_request_hooks: [{ id: "g", checks: [{ id: "default.nope" }] }] }, "before_request_hooks[0].checks[0].id"],
    [
      { before_request_hooks: [{ id: "g", checks: [{ id: "wordCount" }, { id: "regexMatch", parameters: {} }] }] },
      "before_request_hooks[0].checks[1].parameters.rule",
    ],
    [
      { output_guardrails: [{ "default.jsonSchema": { schema: { type: "nope" } } }] },
      'output_guardrails[0]["default.jsonSchema"].schema',
    ],
    [{ input_guardrails: ["pg-missing"] }, "input_guardrails[0]"],
  ])("%j → %s", async (config, param) => {
    const res = await chat(config, "hi");
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({
      param: "x-portkey-config",
      message: expect.stringContaining(`${param}: `),
    });
  });
});
