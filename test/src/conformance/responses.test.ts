import { PROVIDER_ADAPTERS } from "@switchyard/gateway/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAKE_TEXT, FAKE_TOOL_ARGS } from "../fakes/provider-fake.ts";
import {
  type ConformanceStack,
  HTTP_PROVIDERS,
  type HttpProviderId,
  SETUPS,
  startConformanceStack,
} from "./support.ts";

/**
 * /v1/responses with the unmodified `openai` SDK, for every provider: `responses.create` (JSON and
 * stream), `output_text`, function tools, one event with usage and cost. Hosts that speak the
 * Responses API get the client's body as sent (native pass-through); every other provider goes
 * through the chat adapter. Native-only features are a 400 naming the field on adapted providers.
 */
let stack: ConformanceStack;
beforeAll(async () => {
  stack = await startConformanceStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.reset());

const NATIVE: ReadonlySet<HttpProviderId> = new Set(["openai", "azure-openai", "groq", "xai"]);

function client(id: HttpProviderId, leafExtra: Record<string, unknown> = {}): OpenAI {
  const { "content-type": _ct, ...headers } = stack.headers(id, leafExtra);
  return new OpenAI({ baseURL: `${stack.base}/v1`, apiKey: "unused", defaultHeaders: headers, maxRetries: 0 });
}

const WEATHER = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

describe.each(HTTP_PROVIDERS)("%s: /v1/responses", (id) => {
  const setup = SETUPS[id];
  const caps = PROVIDER_ADAPTERS[id].capabilities;
  const native = NATIVE.has(id);

  it("responses.create: output_text, usage, one event with cost", async () => {
    // Azure's Responses body names the deployment as its model (the fake echoes it): named after the model here.
    const leaf = id === "azure-openai" ? { deployment_id: setup.model } : {};
    const response = await client(id, leaf).responses.create({
      model: setup.model,
      instructions: "Be brief.",
      input: "Say hello",
      max_output_tokens: 200,
    });
    expect(response.object).toBe("response");
    expect(response.status).toBe("completed");
    expect(response.output_text).toBe(FAKE_TEXT);
    expect(response.id).toMatch(/^resp_/);
    expect(response.usage?.input_tokens).toBe(42);
    const upstream = stack.fake(id).last!;
    if (native) {
      expect(upstream.url).toContain("/responses");
      expect(upstream.body).toMatchObject({ instructions: "Be brief.", input: "Say hello", max_output_tokens: 200 });
    } else {
      expect(upstream.canonical).toMatchObject({ system: expect.stringContaining("Be brief."), maxTokens: 200 });
      expect(upstream.canonical?.messages[0]?.text).toBe("Say hello");
    }
    const event = await stack.event();
    expect(event).toMatchObject({ provider: id, status_code: 200, stream: false, endpoint: "/v1/responses" });
    expect(event.usage).toMatchObject({ ...setup.usage, estimated: false });
    if (setup.priced) expect(event.cost_nano_usd).toBeGreaterThan(0);
  });

  if (caps.streaming)
    it("stream: Responses events, output_text deltas, response.completed", async () => {
      const stream = await client(id).responses.create({ model: setup.model, input: "Say hello", stream: true });
      const types: string[] = [];
      let text = "";
      let sequence = -1;
      let completed: OpenAI.Responses.Response | null = null;
      for await (const event of stream) {
        types.push(event.type);
        expect(event.sequence_number).toBe(sequence + 1);
        sequence = event.sequence_number;
        if (event.type === "response.output_text.delta") text += event.delta;
        if (event.type === "response.completed") completed = event.response;
      }
      expect(types[0]).toBe("response.created");
      expect(types).toContain("response.output_text.delta");
      expect(types[types.length - 1]).toBe("response.completed");
      expect(text).toBe(FAKE_TEXT);
      expect(
        completed?.output_text ?? (completed?.output[0] as { content?: Array<{ text: string }> })?.content?.[0]?.text,
      ).toBe(FAKE_TEXT);
      expect(completed?.usage?.output_tokens).toBe(17);
      const event = await stack.event();
      expect(event).toMatchObject({ provider: id, status_code: 200, stream: true, endpoint: "/v1/responses" });
      expect(event.usage).toMatchObject({ ...setup.usage, estimated: false });
    });

  if (caps.streaming)
    it("responses.stream helper: finalResponse().output_text", async () => {
      const stream = client(id).responses.stream({ model: setup.model, input: "Say hello" });
      const final = await stream.finalResponse();
      expect(final.output_text).toBe(FAKE_TEXT);
    });

  if (caps.tools)
    it("function tools: a function_call item, then its output answered", async () => {
      const c = client(id);
      const first = await c.responses.create({ model: setup.model, input: "Weather in Paris?", tools: [WEATHER] });
      const call = first.output.find((item) => item.type === "function_call");
      expect(call).toMatchObject({ type: "function_call", name: "get_weather" });
      expect(JSON.parse((call as { arguments: string }).arguments)).toEqual(JSON.parse(FAKE_TOOL_ARGS));
      const callId = (call as { call_id: string }).call_id;
      const second = await c.responses.create({
        model: setup.model,
        tools: [WEATHER],
        input: [
          { role: "user", content: "Weather in Paris?" },
          { type: "function_call", call_id: callId, name: "get_weather", arguments: FAKE_TOOL_ARGS },
          { type: "function_call_output", call_id: callId, output: "sunny" },
        ],
      });
      expect(second.output_text).toBe("The tool said: sunny");
    });

  if (caps.tools && caps.streaming)
    it("function tools streamed: arguments deltas, a function_call item", async () => {
      const stream = client(id).responses.stream({ model: setup.model, input: "Weather?", tools: [WEATHER] });
      let args = "";
      stream.on("response.function_call_arguments.delta", (e) => {
        args += e.delta;
      });
      const final = await stream.finalResponse();
      expect(args).toBe(FAKE_TOOL_ARGS);
      expect(final.output.find((i) => i.type === "function_call")).toMatchObject({ name: "get_weather" });
    });

  it("a native-only feature: passed through natively, else a 400 naming it before any call", async () => {
    const res = await stack.post("/v1/responses", id, {
      model: setup.model,
      input: "continue",
      previous_response_id: "resp_earlier",
    });
    if (native) {
      expect(res.status).toBe(200);
      expect(stack.fake(id).last?.body.previous_response_id).toBe("resp_earlier");
      return;
    }
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; message: string } };
    expect(body.error.param).toBe("previous_response_id");
    expect(stack.fake(id).calls).toHaveLength(0);
    const event = await stack.event();
    expect(event).toMatchObject({ status_code: 400, endpoint: "/v1/responses" });
  });
});

describe("/v1/responses: adapter details", () => {
  it("built-in tools and store: true are 400s naming the field on an adapted provider", async () => {
    const tool = await stack.post("/v1/responses", "anthropic", {
      model: SETUPS.anthropic.model,
      input: "search",
      tools: [{ type: "web_search_preview" }],
    });
    expect(tool.status).toBe(400);
    expect(((await tool.json()) as { error: { param: string } }).error.param).toBe("tools.0.type");
    const store = await stack.post("/v1/responses", "anthropic", {
      model: SETUPS.anthropic.model,
      input: "x",
      store: true,
    });
    expect(store.status).toBe(400);
    expect(((await store.json()) as { error: { param: string } }).error.param).toBe("store");
    expect(stack.fake("anthropic").calls).toHaveLength(0);
  });

  it("a malformed body is a 400 naming the field", async () => {
    const res = await stack.post("/v1/responses", "openai", {
      model: "gpt-4o-mini",
      input: "x",
      max_output_tokens: -1,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("max_output_tokens");
  });

  it("reasoning.effort becomes Anthropic's thinking budget; text.format json_schema reaches Gemini", async () => {
    await client("anthropic").responses.create({
      model: SETUPS.anthropic.model,
      input: "think",
      reasoning: { effort: "low" },
    });
    expect(stack.fake("anthropic").last?.body.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    await client("bedrock").responses.create({
      model: SETUPS.bedrock.model,
      input: "think",
      reasoning: { effort: "high" },
    });
    expect(stack.fake("bedrock").last?.body.additionalModelRequestFields).toEqual({
      thinking: { type: "enabled", budget_tokens: 16384 },
    });
    await client("google").responses.create({
      model: SETUPS.google.model,
      input: "json please",
      reasoning: { effort: "medium" },
      text: { format: { type: "json_schema", name: "ok", schema: { type: "object", properties: {} } } },
    });
    const config = stack.fake("google").last?.body.generationConfig as Record<string, unknown>;
    expect(config).toMatchObject({ responseMimeType: "application/json", thinkingConfig: { thinkingBudget: 4096 } });
  });

  it("a fallback from an adapted provider refusing a native-only field to a native one answers", async () => {
    const res = await fetch(`${stack.base}/v1/responses`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-portkey-config": JSON.stringify({
          strategy: { mode: "fallback" },
          targets: [
            SETUPS.anthropic.leaf(stack.fake("anthropic").baseUrl),
            SETUPS.openai.leaf(stack.fake("openai").baseUrl),
          ],
        }),
      },
      body: JSON.stringify({ model: "gpt-4o-mini", input: "go on", previous_response_id: "resp_1" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-portkey-provider")).toBe("openai");
    expect(stack.fake("anthropic").calls).toHaveLength(0);
  });
});

describe("/v1/responses: streams end honestly", () => {
  it("an adapted stream the upstream cuts ends with an error event, never response.completed", async () => {
    stack.fake("anthropic").cutNext(3);
    const res = await stack.post("/v1/responses", "anthropic", {
      model: SETUPS.anthropic.model,
      input: "hi",
      stream: true,
    });
    const text = await res.text();
    expect(text).toContain("event: error");
    expect(text).not.toContain("response.completed");
    expect(text).not.toContain("[DONE]");
    const event = await stack.event();
    expect(event).toMatchObject({ status_code: 502, error_type: "stream_interrupted", endpoint: "/v1/responses" });
  });

  it("a native stream reaches the client frame for frame; its usage is in the event", async () => {
    const res = await stack.post("/v1/responses", "openai", { model: "gpt-4o-mini", input: "hi", stream: true });
    const text = await res.text();
    const frames = text.split("\n\n").filter(Boolean);
    expect(frames[0]).toMatch(/^event: response.created\ndata: /);
    expect(frames[frames.length - 1]).toMatch(/^event: response.completed\ndata: /);
    expect(text).toContain('"id":"resp_fake_1"');
    const event = await stack.event();
    expect(event.usage).toMatchObject({ input_tokens: 42, output_tokens: 17, cache_read_tokens: 10 });
  });
});

describe("/v1/responses/{id}: stored responses live on the hosts that store them", () => {
  it("retrieve, input items and delete with the SDK reach OpenAI; the event names the endpoint", async () => {
    const c = client("openai");
    const stored = await c.responses.retrieve("resp_fake_1");
    expect(stored).toMatchObject({ id: "resp_fake_1", object: "response", output_text: "stored" });
    expect(stack.fake("openai").last?.url).toBe("/v1/responses/resp_fake_1");
    const event = await stack.event();
    expect(event).toMatchObject({
      endpoint: "/v1/responses/{id}",
      provider: "openai",
      status_code: 200,
      cost_nano_usd: 0,
    });
    const items = await c.responses.inputItems.list("resp_fake_1");
    expect(items.data[0]).toMatchObject({ id: "msg_in_1", type: "message" });
    const deleted = (await c.responses.delete("resp_fake_1")) as unknown;
    expect(deleted).toMatchObject({ id: "resp_fake_1", deleted: true });
    expect(stack.fake("openai").last?.url).toBe("/v1/responses/resp_fake_1");
  });

  it("an unknown id is the host's 404; Azure keeps its api-version", async () => {
    const missing = await fetch(`${stack.base}/v1/responses/resp_nope`, { headers: stack.headers("openai") });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain("resp_nope");
    const azure = await fetch(`${stack.base}/v1/responses/resp_fake_1`, { headers: stack.headers("azure-openai") });
    expect(azure.status).toBe(200);
    expect(stack.fake("azure-openai").last?.url).toMatch(/^\/openai\/responses\/resp_fake_1\?api-version=2025-/);
  });

  it("a provider that stores nothing is a 400 naming it, before any call", async () => {
    // As the SDK sends it: no body, so no content-type.
    const { "content-type": _ct, ...headers } = stack.headers("anthropic");
    const res = await fetch(`${stack.base}/v1/responses/resp_fake_1`, { method: "DELETE", headers });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("does not store responses");
    expect(stack.fake("anthropic").calls).toHaveLength(0);
  });
});
