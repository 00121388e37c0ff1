import { describe, expect, it } from "vitest";
import type { StreamChunk } from "../providers/provider.ts";
import { ChunkBuilder } from "../providers/shared/chunks.ts";
import { StreamAssembler } from "./stream-assembler.ts";

describe("StreamAssembler", () => {
  it("assembles text, reasoning, tool calls, finish reason and usage into one completion", () => {
    const b = new ChunkBuilder("chatcmpl-1", "gpt-4o", false);
    const chunks = [
      b.start(),
      b.reasoning("think "),
      b.reasoning("hard"),
      b.text("Hello"),
      b.text(", world"),
      b.toolCallStart(0, "call_1", "lookup", '{"q":'),
      b.toolCallArgs(0, '"x"}'),
      b.finish("tool_calls"),
      b.usage({
        input_tokens: 5,
        output_tokens: 7,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        reasoning_tokens: 2,
        estimated: false,
      }),
    ].filter((c): c is StreamChunk => c !== null);
    const assembler = new StreamAssembler(10_000);
    for (const chunk of chunks) assembler.add(chunk);
    const { text, truncated } = assembler.finish();
    expect(truncated).toBe(false);
    expect(JSON.parse(text)).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion",
      model: "gpt-4o",
      assembled_from_stream: true,
      usage: {
        input_tokens: 5,
        output_tokens: 7,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        reasoning_tokens: 2,
        estimated: false,
      },
      choices: [
        {
          index: 0,
          finish_reason: "tool_calls",
          message: {
            role: "assistant",
            content: "Hello, world",
            reasoning_content: "think hard",
            tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } }],
          },
        },
      ],
    });
  });

  it("stops at the cap and says how much there was", () => {
    const b = new ChunkBuilder("id", "m", true);
    const assembler = new StreamAssembler(10);
    for (const word of ["abcd", "efgh", "ijkl", "mnop"]) assembler.add(b.text(word));
    const { text, truncated } = assembler.finish();
    expect(truncated).toBe(true);
    expect(JSON.parse(text.slice(0, text.indexOf("\n…"))).choices[0].message.content).toBe("abcdefgh");
    expect(text).toMatch(/\n…\[truncated by Switchyard: 12 characters in all\]$/);
  });
});
