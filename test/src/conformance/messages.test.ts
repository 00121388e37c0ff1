import Anthropic from "@anthropic-ai/sdk";
import { PROVIDER_ADAPTERS } from "@switchyard/gateway/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SIGNATURE, THOUGHT } from "../fakes/dialects/anthropic.ts";
import { FAKE_TEXT } from "../fakes/provider-fake.ts";
import { type ConformanceStack, HTTP_PROVIDERS, SETUPS, startConformanceStack } from "./support.ts";

/**
 * /v1/messages with the unmodified Anthropic SDK, routed to every provider: the Anthropic format
 * goes in, the gateway routes it like any chat, and Anthropic messages / SSE events come back.
 */
let stack: ConformanceStack;
beforeAll(async () => {
  // Traced: a stream's span says what its chunks told telemetry.
  stack = await startConformanceStack({ tracing: true });
});
afterAll(() => stack.close());
beforeEach(() => stack.reset());

const WEATHER = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] },
};

function client(id: (typeof HTTP_PROVIDERS)[number]) {
  const headers = stack.headers(id);
  return new Anthropic({
    baseURL: stack.base,
    apiKey: "placeholder-key-not-used",
    maxRetries: 0,
    defaultHeaders: { "x-portkey-config": headers["x-portkey-config"] },
  });
}

describe.each(HTTP_PROVIDERS)("%s: /v1/messages with the Anthropic SDK", (id) => {
  const setup = SETUPS[id];
  const caps = PROVIDER_ADAPTERS[id].capabilities;

  it("a message in, an Anthropic message out, one event for /v1/messages", async () => {
    const message = await client(id).messages.create({
      model: setup.model,
      max_tokens: 256,
      system: "You are terse.",
      messages: [{ role: "user", content: "Say hello" }],
    });
    expect(message.type).toBe("message");
    expect(message.content[0]).toMatchObject({ type: "text", text: FAKE_TEXT });
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.output_tokens).toBe(17);
    expect(
      message.usage.input_tokens +
        (message.usage.cache_read_input_tokens ?? 0) +
        (message.usage.cache_creation_input_tokens ?? 0),
    ).toBe(42);
    const sent = stack.fake(id).last?.canonical;
    expect(sent?.system).toContain("You are terse.");
    expect(sent?.maxTokens).toBe(256);
    const event = await stack.event();
    expect(event).toMatchObject({
      endpoint: "/v1/messages",
      provider: id,
      status_code: 200,
      model_requested: setup.model,
    });
    expect(event.usage.input_tokens).toBe(42);
    // A message id, once: an Anthropic upstream's msg_… is kept, never prefixed again.
    expect(message.id).toMatch(/^msg_(?!msg_)/);
    // The span reports the id and stop reason this client got.
    expect(await stack.requestEnd()).toMatchObject({ responseId: message.id, finishReasons: ["end_turn"] });
  });

  it("streams Anthropic SSE events the SDK assembles", async () => {
    const stream = client(id).messages.stream({
      model: setup.model,
      max_tokens: 256,
      messages: [{ role: "user", content: "Say hello" }],
    });
    const texts: string[] = [];
    stream.on("text", (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.join("")).toBe(FAKE_TEXT);
    expect(final.content[0]).toMatchObject({ type: "text", text: FAKE_TEXT });
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.output_tokens).toBe(17);
    const event = await stack.event();
    expect(event).toMatchObject({ endpoint: "/v1/messages", stream: true, status_code: 200 });
    expect(event.usage.output_tokens).toBe(17);
    expect(final.id).toMatch(/^msg_(?!msg_)/);
    // As for a JSON message: the span reports the message id and stop reason this client got.
    expect(await stack.requestSpan()).toMatchObject({
      "gen_ai.response.id": final.id,
      "gen_ai.response.finish_reasons": ["end_turn"],
    });
  });

  if (caps.tools) {
    it("tool_use and tool_result round trip, streamed and not", async () => {
      const anthropic = client(id);
      const first = await anthropic.messages.create({
        model: setup.model,
        max_tokens: 256,
        tools: [WEATHER],
        messages: [{ role: "user", content: "Weather in Paris?" }],
      });
      expect(first.stop_reason).toBe("tool_use");
      const toolUse = first.content.find((b) => b.type === "tool_use");
      expect(toolUse).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Paris" } });
      const streamed = await anthropic.messages
        .stream({
          model: setup.model,
          max_tokens: 256,
          tools: [WEATHER],
          messages: [{ role: "user", content: "Weather?" }],
        })
        .finalMessage();
      expect(streamed.content.find((b) => b.type === "tool_use")).toMatchObject({
        name: "get_weather",
        input: { city: "Paris" },
      });
      const id2 = toolUse?.type === "tool_use" ? toolUse.id : "";
      const second = await anthropic.messages.create({
        model: setup.model,
        max_tokens: 256,
        tools: [WEATHER],
        messages: [
          { role: "user", content: "Weather in Paris?" },
          { role: "assistant", content: first.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: id2, content: "Sunny, 21C" }] },
        ],
      });
      expect(second.content[0]).toMatchObject({ type: "text" });
      expect(second.content[0]?.type === "text" ? second.content[0].text : "").toContain("Sunny, 21C");
    });
  }

  it("an upstream error surfaces as the SDK's error with the upstream status", async () => {
    stack.fake(id).failNext(429, "Too many requests, slow down");
    const error = await client(id)
      .messages.create({ model: setup.model, max_tokens: 16, messages: [{ role: "user", content: "Hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(429);
    expect(JSON.stringify((error as InstanceType<typeof Anthropic.APIError>).error)).toContain("slow down");
  });
});

describe("/v1/messages bad input", () => {
  it("missing max_tokens is an Anthropic-shaped 400 naming it", async () => {
    const res = await stack.post("/v1/messages", "anthropic", {
      model: "claude-3-5-haiku-latest",
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(body.error.message).toContain("max_tokens");
  });

  it("x-api-key is the provider key when nothing else supplies one", async () => {
    const res = await fetch(`${stack.base}/v1/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-api-key": "sk-ant-from-client",
        "anthropic-version": "2023-06-01",
        "x-portkey-provider": "anthropic",
        "x-portkey-custom-host": stack.fake("anthropic").baseUrl,
      },
      body: JSON.stringify({
        model: "claude-3-5-haiku-latest",
        max_tokens: 10,
        messages: [{ role: "user", content: "Hi" }],
      }),
    });
    expect(res.status).toBe(200);
    expect(stack.fake("anthropic").last?.headers["x-api-key"]).toBe("sk-ant-from-client");
  });
});

describe("thinking blocks", () => {
  const thinking = { type: "enabled" as const, budget_tokens: 1024 };

  it("are kept on /v1/messages, JSON and streamed, with their signature", async () => {
    const anthropic = client("anthropic");
    const request = {
      model: SETUPS.anthropic.model,
      max_tokens: 2048,
      thinking,
      messages: [{ role: "user" as const, content: "Hi" }],
    };
    const message = await anthropic.messages.create(request);
    expect(message.content[0]).toMatchObject({ type: "thinking", thinking: THOUGHT, signature: SIGNATURE });
    expect(message.content[1]).toMatchObject({ type: "text", text: FAKE_TEXT });
    expect(stack.fake("anthropic").last?.body.thinking).toEqual(thinking);
    const streamed = await anthropic.messages.stream(request).finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: "thinking", thinking: THOUGHT, signature: SIGNATURE });
    expect(streamed.content[1]).toMatchObject({ type: "text", text: FAKE_TEXT });
  });

  it("reach chat clients that are not strict, and only them", async () => {
    const body = { model: SETUPS.anthropic.model, thinking, messages: [{ role: "user", content: "Hi" }] };
    type Reply = { choices: Array<{ message: { content: string; reasoning_content?: string } }> };
    const strict = (await (await stack.post("/v1/chat/completions", "anthropic", body)).json()) as Reply;
    expect(strict.choices[0]?.message.reasoning_content).toBeUndefined();
    expect(strict.choices[0]?.message.content).toBe(FAKE_TEXT);
    const loose = await stack.post("/v1/chat/completions", "anthropic", body, {
      headers: { "x-portkey-strict-open-ai-compliance": "false" },
    });
    const reply = (await loose.json()) as Reply;
    expect(reply.choices[0]?.message.reasoning_content).toBe(THOUGHT);
  });

  it("are not sent to OpenAI-compatible hosts, which do not take the parameter", async () => {
    const res = await client("openai").messages.create({
      model: SETUPS.openai.model,
      max_tokens: 2048,
      thinking,
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(res.content[0]).toMatchObject({ type: "text" });
    expect(stack.fake("openai").last?.body).not.toHaveProperty("thinking");
  });
});
