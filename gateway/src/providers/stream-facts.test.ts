import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatCompletionRequest } from "../schemas/chat.ts";
import { HttpProvider } from "./http-provider.ts";
import { MockProvider } from "./mock/mock-provider.ts";
import type { ProviderTarget, StreamChunk, StreamOpenResult } from "./provider.ts";
import { PROVIDER_ADAPTERS } from "./registry.ts";

/**
 * Every streamed chunk carries its response id and finish reasons as fields, filled where the
 * provider built or parsed the chunk, so telemetry records them without parsing `data` again.
 * Each field must say what `data` says.
 */
const ORIGIN = "http://upstream.test";
const target: ProviderTarget = {
  apiKey: "sk-test",
  customHost: `${ORIGIN}/v1`,
  forwardHeaders: {},
  providerFields: {},
};
const request = ChatCompletionRequest.parse({
  model: "m-1",
  messages: [{ role: "user", content: "Hi" }],
  stream: true,
});
const signal = new AbortController().signal;
const call = { request, target, signal };

let agent: MockAgent;
beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
});
afterEach(() => agent.close());

const sse = (events: Array<object | string>) =>
  events.map((e) => `data: ${typeof e === "string" ? e : JSON.stringify(e)}\n\n`).join("");
const upstream = (path: string, body: string) =>
  agent
    .get(ORIGIN)
    .intercept({ path, method: "POST" })
    .reply(200, body, { headers: { "content-type": "text/event-stream" } });
const provider = (id: keyof typeof PROVIDER_ADAPTERS) => new HttpProvider(PROVIDER_ADAPTERS[id], agent);

async function collect(opened: StreamOpenResult): Promise<StreamChunk[]> {
  if (!opened.ok) throw new Error(`stream refused: ${opened.result.status}`);
  const chunks: StreamChunk[] = [];
  for await (const chunk of opened.chunks) chunks.push(chunk);
  return chunks;
}

/** A chunk's id and finish reasons are exactly those its JSON carries. */
function expectFactsOfData(chunks: StreamChunk[]): void {
  for (const chunk of chunks) {
    const json = JSON.parse(chunk.data) as { id?: string; choices?: Array<{ finish_reason?: string | null }> };
    expect(chunk.id).toBe(json.id ?? null);
    const reasons = (json.choices ?? []).map((c) => c.finish_reason).filter((r) => typeof r === "string");
    expect(chunk.finishReasons).toEqual(reasons);
  }
}

const finishReasons = (chunks: StreamChunk[]) => chunks.flatMap((c) => c.finishReasons);

describe("OpenAI-compatible passthrough", () => {
  it("reads the id and every choice's finish reason off the chunk JSON it parses", async () => {
    const id = "chatcmpl-s1";
    const chunk = (choices: object[], extra: object = {}) => ({ id, model: "m-1-0125", choices, ...extra });
    upstream(
      "/v1/chat/completions",
      sse([
        chunk([
          { index: 0, delta: { role: "assistant", content: "a" }, finish_reason: null },
          { index: 1, delta: { role: "assistant", content: "b" }, finish_reason: null },
        ]),
        // n > 1: one chunk may end several choices.
        chunk([
          { index: 0, delta: {}, finish_reason: "stop" },
          { index: 1, delta: {}, finish_reason: "length" },
        ]),
        chunk([], { usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } }),
        "[DONE]",
      ]),
    );
    const chunks = await collect(await provider("openai").stream(call));
    expect(chunks).toHaveLength(3);
    expectFactsOfData(chunks);
    expect(chunks.map((c) => c.id)).toEqual([id, id, id]);
    expect(chunks.map((c) => c.finishReasons)).toEqual([[], ["stop", "length"], []]);
    expect(chunks[2]).toMatchObject({ usageOnly: true, model: "m-1-0125" });
  });

  it("a chunk without an id has none (null); a stream without usage gets an estimated chunk with the stream's id", async () => {
    upstream(
      "/v1/chat/completions",
      sse([
        { model: "m-1", choices: [{ index: 0, delta: { content: "hello" }, finish_reason: null }] },
        { id: "chatcmpl-late", model: "m-1", choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
        "[DONE]",
      ]),
    );
    const chunks = await collect(await provider("groq").stream(call));
    expect(chunks.map((c) => c.id)).toEqual([null, "chatcmpl-late", "chatcmpl-late"]);
    expect(chunks[2]).toMatchObject({ usageOnly: true, finishReasons: [] });
    expect(chunks[2]?.usage?.estimated).toBe(true);
    expectFactsOfData(chunks);
  });

  it("legacy completions streams: text_completion chunks carry theirs too", async () => {
    const chunk = (text: string, finish: string | null) => ({
      id: "cmpl-1",
      object: "text_completion",
      model: "m-1",
      choices: [{ index: 0, text, finish_reason: finish }],
    });
    upstream(
      "/v1/completions",
      sse([
        chunk("Once", null),
        chunk(" upon", "length"),
        {
          id: "cmpl-1",
          object: "text_completion",
          model: "m-1",
          choices: [],
          usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
        },
        "[DONE]",
      ]),
    );
    const textCall = { request: { model: "m-1", prompt: "Once", stream: true }, target, signal };
    const chunks = await collect(await provider("openai").streamText!(textCall));
    expectFactsOfData(chunks);
    expect(chunks.map((c) => c.id)).toEqual(["cmpl-1", "cmpl-1", "cmpl-1"]);
    expect(finishReasons(chunks)).toEqual(["length"]);
  });
});

describe("an adapter that builds the chunks (anthropic, via ChunkBuilder)", () => {
  it("gives every chunk the id it wrote and the mapped finish reason on the finishing chunk", async () => {
    upstream(
      "/v1/messages",
      sse([
        {
          type: "message_start",
          message: { id: "msg_01", type: "message", model: "claude-x", usage: { input_tokens: 5, output_tokens: 1 } },
        },
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi" } },
        { type: "content_block_stop", index: 0 },
        { type: "message_delta", delta: { stop_reason: "max_tokens" }, usage: { output_tokens: 3 } },
        { type: "message_stop" },
      ]),
    );
    const chunks = await collect(await provider("anthropic").stream(call));
    expectFactsOfData(chunks);
    // Named by the upstream's message id, as the JSON answer is — not one constant shared by every stream.
    expect(chunks.every((c) => c.id === "msg_01" && c.model === "claude-x")).toBe(true);
    expect(chunks.map((c) => c.finishReasons)).toEqual([[], [], ["length"], []]);
    expect(chunks[3]?.usageOnly).toBe(true);
  });
});

describe("the in-process mock provider", () => {
  it("gives each chunk the id it wrote and `stop` on the last choice chunk", async () => {
    const chunks = await collect(await new MockProvider({ latencyMs: 0 }).stream(call));
    expectFactsOfData(chunks);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(finishReasons(chunks)).toEqual(["stop"]);
  });
});
