import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { anthropicDialect } from "../fakes/dialects/anthropic.ts";
import { FAKE_TEXT, FAKE_USAGE, type FakeUsageTotals, planReply, type RecordedCall } from "../fakes/provider-fake.ts";
import { type ConformanceStack, SETUPS, startConformanceStack } from "./support.ts";

/**
 * /v1/messages to Anthropic is a native pass-through: the client's Messages body reaches Anthropic
 * as sent (fields our OpenAI conversion has no place for included) and Anthropic's answer — JSON,
 * SSE frames, errors — reaches the client byte for byte, while the event and span still get the
 * usage (cache tokens too), model, id, stop reason and failure. Other providers, and fallbacks
 * from Anthropic to them, keep the conversion.
 */
let stack: ConformanceStack;
beforeAll(async () => {
  stack = await startConformanceStack({ tracing: true });
});
afterAll(() => stack.close());
beforeEach(() => stack.reset());

const MODEL = SETUPS.anthropic.model;
const DOCUMENT = "The sky over Paris is blue today.";
const dialect = anthropicDialect();

/** A request our converter would lose most of: cache_control, top_k, metadata, a cited document, … */
function richBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: MODEL,
    max_tokens: 300,
    system: [{ type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } }],
    messages: [
      {
        role: "user",
        content: [
          {
            type: "document",
            source: { type: "text", media_type: "text/plain", data: DOCUMENT },
            title: "Weather report",
            citations: { enabled: true },
            cache_control: { type: "ephemeral", ttl: "1h" },
          },
          { type: "text", text: "What colour is the sky?" },
        ],
      },
    ],
    top_k: 5,
    stop_sequences: ["###"],
    metadata: { user_id: "user-42" },
    service_tier: "standard_only",
    ...extra,
  };
}

/** The bytes the fake sent for the recorded call (what the client must get unchanged). */
function upstreamJson(call: RecordedCall, usage: FakeUsageTotals | null = FAKE_USAGE): string {
  const match = dialect.match("POST", new URL("http://fake/v1/messages"), call.body)!;
  return JSON.stringify(dialect.json(planReply(call.canonical!), match, usage, call.body));
}

function upstreamSse(call: RecordedCall, usage: FakeUsageTotals | null = FAKE_USAGE): string {
  const match = dialect.match("POST", new URL("http://fake/v1/messages"), call.body)!;
  return dialect.events(planReply(call.canonical!), match, usage, call.body).join("");
}

function post(body: object, config: object = SETUPS.anthropic.leaf(stack.fake("anthropic").baseUrl)) {
  return fetch(`${stack.base}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-portkey-config": JSON.stringify(config) },
    body: JSON.stringify(body),
  });
}

const anthropicLeaf = (extra: object = {}) => ({ ...SETUPS.anthropic.leaf(stack.fake("anthropic").baseUrl), ...extra });
const openaiLeaf = () => SETUPS.openai.leaf(stack.fake("openai").baseUrl);

describe("/v1/messages to Anthropic: the request passes through", () => {
  it("fields the conversion would drop reach Anthropic exactly as the client sent them", async () => {
    const sent = richBody({ tool_choice: { type: "any", disable_parallel_tool_use: true }, tools: [weatherTool()] });
    const res = await post(sent);
    expect(res.status).toBe(200);
    expect(stack.fake("anthropic").last?.body).toEqual(sent);
  });

  it("override_params of the leaf apply to the native body (model), the rest untouched", async () => {
    const res = await post(richBody(), anthropicLeaf({ override_params: { model: "claude-sonnet-4-5", top_k: 9 } }));
    expect(res.status).toBe(200);
    expect(stack.fake("anthropic").last?.body).toEqual(richBody({ model: "claude-sonnet-4-5", top_k: 9 }));
    const event = await stack.event();
    expect(event.model_requested).toBe(MODEL);
    expect(event.attempts[0]).toMatchObject({ provider: "anthropic", model: "claude-sonnet-4-5" });
  });
});

describe("/v1/messages to Anthropic: the answer passes through", () => {
  it("JSON: byte for byte (citations included); the event has usage with cache tokens", async () => {
    const res = await post(richBody());
    const text = await res.text();
    const call = stack.fake("anthropic").last!;
    expect(text).toBe(upstreamJson(call));
    const message = JSON.parse(text) as { content: Array<{ citations?: Array<{ cited_text: string }> }> };
    expect(message.content[0]?.citations?.[0]?.cited_text).toBe(DOCUMENT);
    const event = await stack.event();
    expect(event).toMatchObject({ endpoint: "/v1/messages", provider: "anthropic", status_code: 200 });
    expect(event.model_used).toBe(MODEL);
    expect(event.usage).toMatchObject({
      input_tokens: 42,
      output_tokens: 17,
      cache_read_tokens: 10,
      cache_write_tokens: 4,
      estimated: false,
    });
    expect(await stack.requestEnd()).toMatchObject({ responseId: "msg_fake_1", finishReasons: ["end_turn"] });
  });

  it("SSE: every frame byte for byte, no frame of ours; the event and span have the stream's facts", async () => {
    const res = await post(richBody({ stream: true }));
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    const call = stack.fake("anthropic").last!;
    expect(call.body.stream).toBe(true);
    expect(text).toBe(upstreamSse(call));
    expect(text).toContain('"citations_delta"');
    const event = await stack.event();
    expect(event).toMatchObject({ provider: "anthropic", status_code: 200, stream: true, model_used: MODEL });
    expect(event.usage).toMatchObject({
      input_tokens: 42,
      output_tokens: 17,
      cache_read_tokens: 10,
      cache_write_tokens: 4,
    });
    expect(await stack.requestSpan()).toMatchObject({
      "gen_ai.response.id": "msg_fake_1",
      "gen_ai.response.finish_reasons": ["end_turn"],
    });
  });

  it("the Anthropic SDK assembles the streamed message, citations and all", async () => {
    const anthropic = new Anthropic({
      baseURL: stack.base,
      apiKey: "placeholder-key-not-used",
      maxRetries: 0,
      defaultHeaders: { "x-portkey-config": JSON.stringify(anthropicLeaf()) },
    });
    const final = await anthropic.messages
      .stream(richBody() as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .finalMessage();
    expect(final.content[0]).toMatchObject({ type: "text", text: FAKE_TEXT });
    const block = final.content[0];
    expect(block?.type === "text" ? block.citations?.[0] : null).toMatchObject({ cited_text: DOCUMENT });
    expect(final.usage).toMatchObject({ cache_read_input_tokens: 10, cache_creation_input_tokens: 4 });
  });

  it("usage Anthropic did not report is counted locally for the event; the client's bytes stay Anthropic's", async () => {
    stack.fake("anthropic").usage = null;
    const res = await post(richBody({ stream: true }));
    const text = await res.text();
    expect(text).toBe(upstreamSse(stack.fake("anthropic").last!, null));
    const event = await stack.event();
    expect(event.usage.estimated).toBe(true);
    expect(event.usage.input_tokens).toBeGreaterThan(0);
  });
});

describe("/v1/messages to Anthropic: errors pass through", () => {
  it("an upstream 4xx reaches the client in Anthropic's shape, byte for byte, and is recorded", async () => {
    const message = "messages.0.content.0.cache_control.ttl: invalid";
    stack.fake("anthropic").failNext(400, message);
    const res = await post(richBody());
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(dialect.error(400, message).body);
    const event = await stack.event();
    expect(event).toMatchObject({ provider: "anthropic", status_code: 400, error_type: "invalid_request_error" });
    expect(event.error_message).toContain(message);
  });

  it("a stream Anthropic refuses answers its error JSON, rate-limit headers kept", async () => {
    stack.fake("anthropic").failNext(429, "Too many requests");
    const res = await post(richBody({ stream: true }));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.text()).toBe(dialect.error(429, "Too many requests").body);
    const event = await stack.event();
    expect(event).toMatchObject({ status_code: 429, error_type: "rate_limit_error" });
  });

  it("a credential Anthropic echoes is masked in the relayed body and in the event", async () => {
    stack.fake("anthropic").failNext(401, "invalid x-api-key: sk-ant-test");
    const res = await post(richBody());
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).not.toContain("sk-ant-test");
    expect(JSON.parse(text)).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const event = await stack.event();
    expect(JSON.stringify(event)).not.toContain("sk-ant-test");
  });

  it("a stream Anthropic cuts ends with an Anthropic error event and is recorded as interrupted", async () => {
    stack.fake("anthropic").cutNext(3);
    const res = await post(richBody({ stream: true }));
    const text = await res.text();
    const frames = upstreamSse(stack.fake("anthropic").last!).split(/(?<=\n\n)/);
    expect(text.startsWith(frames.slice(0, 3).join(""))).toBe(true);
    expect(text).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
    expect(text).not.toContain("message_stop");
    const event = await stack.event();
    expect(event).toMatchObject({ status_code: 502, error_type: "stream_interrupted" });
  });
});

describe("/v1/messages to Anthropic: retries and fallbacks", () => {
  it("a retried native call answers the second try's bytes", async () => {
    stack.fake("anthropic").failNext(503, "Overloaded");
    const res = await post(richBody(), anthropicLeaf({ retry: { attempts: 2, on_status_codes: [503] } }));
    expect(res.status).toBe(200);
    expect(stack.fake("anthropic").calls).toHaveLength(2);
    expect(await res.text()).toBe(upstreamJson(stack.fake("anthropic").last!));
  });

  it("a fallback from Anthropic to OpenAI goes through the conversion, JSON and streamed", async () => {
    const config = { strategy: { mode: "fallback" }, targets: [anthropicLeaf(), openaiLeaf()] };
    const plain = { model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "Say hello" }] };
    stack.fake("anthropic").failNext(500, "Internal error");
    const res = await post(plain, config);
    expect(res.status).toBe(200);
    const message = (await res.json()) as { type: string; id: string; content: Array<{ text?: string }> };
    expect(message).toMatchObject({ type: "message", content: [{ type: "text", text: FAKE_TEXT }] });
    expect(message.id).toMatch(/^msg_/);
    expect(stack.fake("openai").last?.body.messages).toEqual([{ role: "user", content: "Say hello" }]);
    const event = await stack.event();
    expect(event).toMatchObject({ provider: "openai", status_code: 200 });
    expect(event.attempts.map((a) => [a.provider, a.status_code])).toEqual([
      ["anthropic", 500],
      ["openai", 200],
    ]);

    stack.reset();
    stack.fake("anthropic").failNext(500, "Internal error");
    const streamed = await (await post({ ...plain, stream: true }, config)).text();
    expect(streamed).toContain("event: message_start");
    expect(streamed).toContain(`"text_delta"`);
    expect(streamed.trimEnd().endsWith('data: {"type":"message_stop"}')).toBe(true);
    expect((await stack.event()).provider).toBe("openai");
  });

  it("a request only Anthropic can take is a 400 for an OpenAI target, and a fallback to Anthropic serves it", async () => {
    const alone = await post(richBody(), openaiLeaf());
    expect(alone.status).toBe(400);
    expect(await alone.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: "content block type document is not supported here" },
    });
    expect(stack.fake("openai").calls).toHaveLength(0);

    stack.reset();
    const config = { strategy: { mode: "fallback" }, targets: [openaiLeaf(), anthropicLeaf()] };
    const res = await post(richBody(), config);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(upstreamJson(stack.fake("anthropic").last!));
    expect(stack.fake("openai").calls).toHaveLength(0);
    const event = await stack.event();
    expect(event.attempts.map((a) => [a.provider, a.status_code])).toEqual([
      ["openai", 400],
      ["anthropic", 200],
    ]);
  });
});

function weatherTool() {
  return {
    name: "get_weather",
    description: "Weather for a city",
    input_schema: { type: "object", properties: { city: { type: "string" } } },
    cache_control: { type: "ephemeral" },
  };
}
