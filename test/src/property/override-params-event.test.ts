import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SETUPS } from "../conformance/support.ts";
import { check } from "./check.ts";
import { type PropertyStack, postToOpen, startPropertyStack } from "./harness.ts";

/**
 * Issue 10 finding: `override_params: {model: 123}` (or `true`, `["a"]`, `{"x":1}`; also on
 * /v1/embeddings) was served with real upstream usage and its event then failed the producer's
 * schema check and was dropped. Now the config is refused with a 400 naming the field — after
 * admission, so the refusal itself is recorded: exactly one event, valid and encodable as the
 * production sink encodes it, status 400, and no upstream call.
 */
const FINDINGS: [string, unknown][] = [
  ["123", 123],
  ["true", true],
  ['["a"]', ["a"]],
  ['{"x":1}', { x: 1 }],
];

const ENDPOINTS = [
  ["/v1/chat/completions", { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }],
  ["/v1/embeddings", { model: "text-embedding-3-small", input: "hi" }],
  ["/v1/completions", { model: "gpt-3.5-turbo-instruct", prompt: "hi" }],
  ["/v1/messages", { model: "claude-3-5-haiku-latest", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }],
] as const;

let stack: PropertyStack;
beforeAll(async () => {
  stack = await startPropertyStack();
});
afterAll(() => stack?.close());
beforeEach(() => {
  stack.sinks.open.events.length = 0;
  for (const fake of stack.fakes.values()) fake.reset();
});

let sequence = 0;
/** Sends a request to the local-dev gateway (loopback custom hosts allowed) and observes it. */
async function post(url: string, body: object, config: object) {
  sequence += 1;
  const { res, observation } = await postToOpen(stack, url, body, config, `override-regression-${sequence}`);
  // /v1/messages answers in Anthropic's error shape ({type: "error", error: {type, message}}).
  const error = (JSON.parse(observation.body) as { error: { message: string; code?: string; type: string } }).error;
  return { res, observation, error };
}

const openaiLeaf = () => SETUPS.openai.leaf(stack.fakes.get("openai")!.baseUrl);

describe("override_params of the wrong type: a 400 naming the field, and still exactly one event", () => {
  for (const [url, body] of ENDPOINTS) {
    it.each(FINDINGS)(`${url}: targets[0].override_params.model = %s`, async (_label, model) => {
      const config = { strategy: { mode: "fallback" }, targets: [{ ...openaiLeaf(), override_params: { model } }] };
      const { res, observation, error } = await post(url, body, config);
      expect(res.status).toBe(400);
      expect(error.type).toBe("invalid_request_error");
      if (url !== "/v1/messages") expect(error.code).toBe("invalid_config");
      expect(error.message).toContain("targets[0].override_params.model");
      expect(stack.fakes.get("openai")!.calls).toHaveLength(0);
      expect(await check(stack, observation)).toEqual([]);
      const [event] = stack.sinks.open.events;
      expect(event?.status_code).toBe(400);
      expect(event?.error_type).toBe("invalid_config");
    });
  }

  it.each(FINDINGS)("a root-level config (no targets): override_params.model = %s", async (_label, model) => {
    const config = { ...openaiLeaf(), override_params: { model } };
    const { res, observation, error } = await post("/v1/embeddings", ENDPOINTS[1][1], config);
    expect(res.status).toBe(400);
    expect(error.message).toContain("override_params.model");
    expect(await check(stack, observation)).toEqual([]);
    expect(stack.sinks.open.events[0]?.status_code).toBe(400);
  });

  it("a valid override of the same key is served and recorded with the overriding model", async () => {
    const config = { ...openaiLeaf(), override_params: { model: "gpt-4o" } };
    const { res, observation } = await post("/v1/chat/completions", ENDPOINTS[0][1], config);
    expect(res.status).toBe(200);
    expect(await check(stack, observation)).toEqual([]);
    expect(stack.fakes.get("openai")!.last?.body.model).toBe("gpt-4o");
  });
});
