import { describe, expect, it } from "vitest";
import type { StreamChunk } from "../provider.ts";
import { anthropicMessagesTransform as native } from "./messages-native.ts";

const target = { apiKey: "sk-ant-secret-1", customHost: null, forwardHeaders: {}, providerFields: {} };
const call = { body: {}, target, signal: new AbortController().signal };

const frame = (name: string, data: object) => `event: ${name}\r\ndata: ${JSON.stringify(data)}\r\n\r\n`;
const FRAMES = [
  frame("message_start", {
    type: "message_start",
    message: {
      id: "msg_1",
      model: "claude-x",
      usage: { input_tokens: 5, cache_read_input_tokens: 7, output_tokens: 1 },
    },
  }),
  ": a comment line\n\n",
  frame("content_block_delta", {
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text: "héllo ✓" },
  }),
  frame("message_delta", {
    type: "message_delta",
    delta: { stop_reason: "stop_sequence" },
    usage: { output_tokens: 9 },
  }),
  frame("message_stop", { type: "message_stop" }),
];

/** The bytes cut every `size` bytes, so frames and multi-byte characters straddle reads. */
async function* pieces(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(source: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const out: StreamChunk[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

describe("native Anthropic stream", () => {
  it.each([1, 7, 4096])("relays every frame byte for byte, read %i bytes at a time, with its facts", async (size) => {
    const chunks = await collect(native.stream(pieces(FRAMES.join(""), size), call));
    expect(chunks.map((c) => c.passThrough).join("")).toBe(FRAMES.join(""));
    expect(chunks[0]).toMatchObject({ id: "msg_1", model: "claude-x" });
    expect(chunks.slice(1).every((c) => c.id === "msg_1")).toBe(true);
    expect(chunks.find((c) => c.text)?.text).toBe("héllo ✓");
    expect(chunks.flatMap((c) => c.finishReasons)).toEqual(["stop_sequence"]);
    const usage = chunks.filter((c) => c.usage !== null);
    expect(usage).toHaveLength(1);
    expect(usage[0]?.usage).toMatchObject({ input_tokens: 12, cache_read_tokens: 7, output_tokens: 9 });
  });

  it("throws when the stream ends before message_stop, or on an error event", async () => {
    await expect(collect(native.stream(pieces(FRAMES.slice(0, 3).join(""), 64), call))).rejects.toThrow(
      /before message_stop/,
    );
    const overloaded = frame("error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    await expect(collect(native.stream(pieces(FRAMES[0] + overloaded, 64), call))).rejects.toThrow(/overloaded_error/);
  });
});

describe("native Anthropic errors", () => {
  it("relays Anthropic's error body with the caller's key masked", () => {
    const body = Buffer.from(
      JSON.stringify({ type: "error", error: { type: "authentication_error", message: "bad key sk-ant-secret-1" } }),
    );
    const result = native.error(401, {}, body, {}, [target.apiKey]);
    expect(result).toMatchObject({ status: 401, passThrough: true, failure: { type: "authentication_error" } });
    expect(result.body.toString()).not.toContain("sk-ant-secret-1");
    expect(JSON.parse(result.body.toString())).toMatchObject({
      type: "error",
      error: { type: "authentication_error" },
    });
  });

  it("puts a body that is not Anthropic's (a proxy's HTML 502) into Anthropic's shape", () => {
    const result = native.error(502, {}, Buffer.from("<html>Bad Gateway</html>"), {}, []);
    expect(result.status).toBe(502);
    expect(JSON.parse(result.body.toString())).toEqual({
      type: "error",
      error: { type: "api_error", message: "<html>Bad Gateway</html>" },
    });
  });

  it("sends the client's body as it is, stream set only when streaming", async () => {
    const body = { model: "m", max_tokens: 5, messages: [], top_k: 3, stream: true };
    const spec = await native.request({ ...call, body }, false);
    expect(JSON.parse(spec.body)).toEqual({ model: "m", max_tokens: 5, messages: [], top_k: 3 });
    expect(spec.headers["x-api-key"]).toBe(target.apiKey);
    expect(JSON.parse((await native.request({ ...call, body }, true)).body).stream).toBe(true);
  });
});
