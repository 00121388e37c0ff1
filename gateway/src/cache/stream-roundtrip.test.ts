import { describe, expect, it } from "vitest";
import { decodeAnswer, encodeAnswer, type StoredAnswer } from "./answer.ts";
import { StreamAssembler } from "./stream-assemble.ts";
import { replayChunks } from "./stream-replay.ts";

const answer = (format: StoredAnswer["format"], body: object): StoredAnswer => ({
  v: 1,
  format,
  body: JSON.stringify(body),
  model: "m",
  responseId: null,
  finishReasons: null,
  usage: null,
  costNanoUsd: 0,
  storedAt: 0,
});

function roundTrip(stored: StoredAnswer): unknown {
  const assembler = new StreamAssembler(stored.format, 1 << 20);
  for (const chunk of replayChunks(stored)) assembler.add(chunk);
  return JSON.parse(assembler.result() ?? "null");
}

describe("stored answers as streams and back", () => {
  it("chat: text, tool calls, finish reason and usage survive a replay and reassembly", () => {
    const body = {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "x".repeat(1200),
            tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } }],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
    };
    const chunks = replayChunks(answer("chat", body));
    expect(chunks.filter((c) => c.text).length).toBe(3);
    expect(chunks.every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-1)?.usageOnly).toBe(true);
    expect(roundTrip(answer("chat", body))).toEqual(body);
  });

  it("text completion", () => {
    const body = {
      id: "cmpl-1",
      object: "text_completion",
      created: 1,
      model: "m",
      choices: [{ text: "hello", index: 0, logprobs: null, finish_reason: "stop" }],
    };
    expect(roundTrip(answer("text", body))).toEqual(body);
  });

  it("Anthropic message: frames in Anthropic's order, reassembled to the same message", () => {
    const body = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude",
      content: [
        { type: "text", text: "Paris." },
        { type: "tool_use", id: "toolu_1", name: "f", input: { a: 1 } },
      ],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 5 },
    };
    const frames = replayChunks(answer("anthropic", body));
    expect(frames.map((f) => JSON.parse(f.data).type)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(frames[0]?.passThrough).toMatch(/^event: message_start\ndata: /);
    expect(roundTrip(answer("anthropic", body))).toEqual(body);
  });

  it("a stream over the byte bound, or not JSON, is not assembled", () => {
    const small = new StreamAssembler("chat", 10);
    for (const chunk of replayChunks(answer("chat", { choices: [{ index: 0, message: { content: "long text" } }] })))
      small.add(chunk);
    expect(small.result()).toBeNull();
    const bad = new StreamAssembler("chat", 1000);
    bad.add({ data: "not json", id: null, usage: null, model: null, finishReasons: [], usageOnly: false });
    expect(bad.result()).toBeNull();
  });

  it("an entry that fails to decode is null", () => {
    expect(decodeAnswer("{")).toBeNull();
    expect(decodeAnswer(JSON.stringify({ v: 2 }))).toBeNull();
    const ok = answer("chat", { a: 1 });
    expect(decodeAnswer(encodeAnswer(ok))).toEqual(ok);
  });
});
