import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatCompletionRequest } from "../schemas/chat.ts";
import { HttpProvider } from "./http-provider.ts";
import { MockProvider } from "./mock/mock-provider.ts";
import type { ProviderTarget } from "./provider.ts";
import { PROVIDER_ADAPTERS } from "./registry.ts";

/**
 * The response id and finish reasons each provider family hands back with a JSON result, so the
 * request span gets gen_ai.response.id / finish_reasons without telemetry re-reading the body.
 */
const ORIGIN = "http://upstream.test";
const target: ProviderTarget = {
  apiKey: "sk-test",
  customHost: `${ORIGIN}/v1`,
  forwardHeaders: {},
  providerFields: {},
};
const request = ChatCompletionRequest.parse({ model: "m-1", messages: [{ role: "user", content: "Hi" }] });
const signal = new AbortController().signal;
const call = { request, target, signal };

let agent: MockAgent;
beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
});
afterEach(() => agent.close());

const upstream = (path: string, status: number, body: unknown) =>
  agent
    .get(ORIGIN)
    .intercept({ path, method: "POST" })
    .reply(status, typeof body === "string" ? body : JSON.stringify(body), {
      headers: { "content-type": "application/json" },
    });
const provider = (id: keyof typeof PROVIDER_ADAPTERS) => new HttpProvider(PROVIDER_ADAPTERS[id], agent);
const usage = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };

describe("OpenAI-compatible passthrough", () => {
  it("reads the id and every choice's finish reason off the JSON it parses, body untouched", async () => {
    const body = JSON.stringify({
      id: "chatcmpl-abc",
      object: "chat.completion",
      model: "m-1",
      choices: [
        { index: 0, message: { role: "assistant", content: "a" }, finish_reason: "stop" },
        { index: 1, message: { role: "assistant", content: "b" }, finish_reason: "length" },
      ],
      usage,
    });
    upstream("/v1/chat/completions", 200, body);
    const result = await provider("openai").complete(call);
    expect(result).toMatchObject({ status: 200, responseId: "chatcmpl-abc", finishReasons: ["stop", "length"] });
    expect(result.body.toString()).toBe(body);
  });

  it('a body without id or finish reasons: known absent ("" and []), not unknown', async () => {
    upstream("/v1/chat/completions", 200, { model: "m-1", choices: [{ index: 0, message: { content: "a" } }], usage });
    const result = await provider("groq").complete(call);
    expect(result).toMatchObject({ status: 200, responseId: "", finishReasons: [] });
  });

  it("completions carry theirs; an embeddings list has none", async () => {
    upstream("/v1/completions", 200, {
      id: "cmpl-1",
      object: "text_completion",
      model: "m-1",
      choices: [{ index: 0, text: "Once", finish_reason: "length" }],
      usage,
    });
    const text = await provider("openai").completeText!({ request: { model: "m-1", prompt: "Once" }, target, signal });
    expect(text).toMatchObject({ status: 200, responseId: "cmpl-1", finishReasons: ["length"] });

    upstream("/v1/embeddings", 200, {
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: [0.1] }],
      model: "m-1",
      usage: { prompt_tokens: 1, total_tokens: 1 },
    });
    const embedded = await provider("openai").embed!({ request: { model: "m-1", input: "hi" }, target, signal });
    expect(embedded).toMatchObject({ status: 200, responseId: "", finishReasons: [] });
  });
});

describe("an adapter that builds the chat.completion (anthropic)", () => {
  it("gives the id and the mapped finish reason it put in the body", async () => {
    upstream("/v1/messages", 200, {
      id: "msg_01",
      type: "message",
      role: "assistant",
      model: "claude-x",
      content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } }],
      stop_reason: "tool_use",
      usage: { input_tokens: 5, output_tokens: 3 },
    });
    const result = await provider("anthropic").complete(call);
    expect(result).toMatchObject({ status: 200, responseId: "msg_01", finishReasons: ["tool_calls"] });
    const body = JSON.parse(result.body.toString()) as { id: string; choices: Array<{ finish_reason: string }> };
    expect(body.id).toBe(result.responseId);
    expect(body.choices.map((c) => c.finish_reason)).toEqual(result.finishReasons);
  });
});

describe("failures carry none (null: telemetry reads nothing for an error anyway)", () => {
  it("an upstream error", async () => {
    upstream("/v1/chat/completions", 429, { error: { message: "slow down", type: "rate_limit_error" } });
    const result = await provider("openai").complete(call);
    expect(result).toMatchObject({ status: 429, responseId: null, finishReasons: null });
  });

  it("an unreadable 2xx body", async () => {
    upstream("/v1/messages", 200, "not json");
    const result = await provider("anthropic").complete(call);
    expect(result).toMatchObject({ status: 502, responseId: null, finishReasons: null });
  });

  it("input the provider cannot take, refused before any call", async () => {
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
    const withTools = ChatCompletionRequest.parse({ ...request, tools });
    const result = await provider("perplexity").complete({ ...call, request: withTools });
    expect(result).toMatchObject({ status: 400, responseId: null, finishReasons: null });
  });
});

describe("the in-process mock provider", () => {
  it("gives the id of the body it built and its finish reason", async () => {
    const result = await new MockProvider({ latencyMs: 0 }).complete(call);
    const body = JSON.parse(result.body.toString()) as { id: string };
    expect(result).toMatchObject({ responseId: body.id, finishReasons: ["stop"] });
  });
});
