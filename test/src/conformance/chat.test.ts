import { PROVIDER_ADAPTERS } from "@switchyard/gateway/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAKE_TEXT, FAKE_TOOL_ARGS } from "../fakes/provider-fake.ts";
import {
  type ConformanceStack,
  HTTP_PROVIDERS,
  PNG_DATA_URL,
  SETUPS,
  startConformanceStack,
  WEATHER_TOOL,
} from "./support.ts";

/** Non-streaming chat through the gateway, for every provider, honouring its capability flags. */
let stack: ConformanceStack;
beforeAll(async () => {
  stack = await startConformanceStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.reset());

interface Completion {
  id: string;
  model: string;
  choices: Array<{
    message: {
      content: string | null;
      tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
    };
    finish_reason: string;
  }>;
  usage: { prompt_tokens: number; completion_tokens: number };
}

describe.each(HTTP_PROVIDERS)("%s: chat", (id) => {
  const setup = SETUPS[id];
  const caps = PROVIDER_ADAPTERS[id].capabilities;
  const chat = (messages: unknown[], extra: Record<string, unknown> = {}) =>
    stack.post("/v1/chat/completions", id, { model: setup.model, messages, ...extra });

  it("plain chat: an OpenAI chat.completion, usage mapped, cost known", async () => {
    const res = await chat([{ role: "user", content: "Say hello" }]);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-portkey-provider")).toBe(id);
    const body = (await res.json()) as Completion & { object: string };
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0]?.message.content).toBe(FAKE_TEXT);
    expect(body.choices[0]?.finish_reason).toBe("stop");
    expect(body.usage.prompt_tokens).toBe(42);
    const event = await stack.event();
    expect(event).toMatchObject({ provider: id, status_code: 200, stream: false, endpoint: "/v1/chat/completions" });
    expect(event.usage).toMatchObject({ ...setup.usage, estimated: false });
    if (setup.priced) {
      expect(event.cost_nano_usd).toBeGreaterThan(0);
      expect(event.pricing_source).toBe("genai-prices");
    }
    expect(JSON.stringify(event)).not.toMatch(/sk-test|sk-ant-test|goog-test|co-test|fake\/secret/);
    // The span's gen_ai.response.id / finish_reasons come with the result: telemetry need not re-read the body.
    expect(body.id).toBeTruthy();
    expect(await stack.requestEnd()).toMatchObject({ responseId: body.id, finishReasons: ["stop"] });
  });

  it("multi-turn: every turn reaches the provider in order", async () => {
    const res = await chat([
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: "How are you?" },
    ]);
    expect(res.status).toBe(200);
    const sent = stack.fake(id).last?.canonical;
    expect(sent?.messages.map((m) => [m.role, m.text])).toEqual([
      ["user", "Hi"],
      ["assistant", "Hello!"],
      ["user", "How are you?"],
    ]);
  });

  it("system prompt: sent the provider's way", async () => {
    const res = await chat([
      { role: "system", content: "You are terse." },
      { role: "user", content: "Hi" },
    ]);
    expect(res.status).toBe(200);
    const sent = stack.fake(id).last?.canonical;
    expect(sent?.system).toContain("You are terse.");
    expect(sent?.messages.map((m) => m.role)).toEqual(["user"]);
  });

  if (caps.tools) {
    it("tools: a tool call, then the tool result round trip", async () => {
      const first = await chat([{ role: "user", content: "Weather in Paris?" }], { tools: [WEATHER_TOOL] });
      expect(first.status).toBe(200);
      const call = ((await first.json()) as Completion).choices[0]!;
      expect(call.finish_reason).toBe("tool_calls");
      expect((await stack.requestEnd()).finishReasons).toEqual(["tool_calls"]);
      const toolCall = call.message.tool_calls?.[0];
      expect(toolCall?.function.name).toBe("get_weather");
      expect(JSON.parse(toolCall?.function.arguments ?? "null")).toEqual(JSON.parse(FAKE_TOOL_ARGS));
      expect(stack.fake(id).last?.canonical?.tools).toEqual(["get_weather"]);

      const second = await chat(
        [
          { role: "user", content: "Weather in Paris?" },
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: toolCall?.id, type: "function", function: toolCall?.function }],
          },
          { role: "tool", tool_call_id: toolCall?.id, content: "Sunny, 21C" },
        ],
        { tools: [WEATHER_TOOL] },
      );
      expect(second.status).toBe(200);
      const answer = ((await second.json()) as Completion).choices[0]!;
      expect(answer.finish_reason).toBe("stop");
      expect(answer.message.content).toContain("Sunny, 21C");
      const sent = stack.fake(id).last?.canonical;
      const assistant = sent?.messages.find((m) => m.toolCalls.length > 0);
      const result = sent?.messages.find((m) => m.toolResults.length > 0);
      expect(assistant?.toolCalls[0]).toMatchObject({ name: "get_weather", args: { city: "Paris" } });
      expect(result?.toolResults[0]?.id).toBe(assistant?.toolCalls[0]?.id);
    });
  }

  if (caps.json_mode) {
    it("JSON mode: asked of the provider, JSON returned", async () => {
      const res = await chat([{ role: "user", content: "Give me JSON" }], { response_format: { type: "json_object" } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Completion;
      expect(JSON.parse(body.choices[0]?.message.content ?? "")).toMatchObject({ ok: true });
      expect(stack.fake(id).last?.canonical?.jsonMode).toBe(true);
    });
  }

  if (caps.vision) {
    it("image input: a base64 image reaches the provider", async () => {
      const res = await chat([
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: PNG_DATA_URL } },
          ],
        },
      ]);
      expect(res.status).toBe(200);
      const sent = stack.fake(id).last?.canonical;
      expect(sent?.messages[0]?.images[0]).toMatch(/^data:image\/png;base64,iVBOR/);
      expect(sent?.messages[0]?.text).toBe("What is this?");
    });
  }

  it("max_tokens and stop sequences are passed on", async () => {
    const res = await chat([{ role: "user", content: "Count" }], { max_tokens: 50, stop: ["END"] });
    expect(res.status).toBe(200);
    const sent = stack.fake(id).last?.canonical;
    expect(sent?.maxTokens).toBe(50);
    expect(sent?.stop).toEqual(["END"]);
  });
});
