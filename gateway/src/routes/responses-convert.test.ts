import { describe, expect, it } from "vitest";
import { ResponsesInputError, ResponsesRequest, toChatRequest } from "./responses-convert.ts";
import { responseId, toResponse } from "./responses-output.ts";

/** The Responses → chat conversion and the way back, field by field (the SDK round trips are in test/src/conformance). */
const convert = (body: Record<string, unknown>, style?: Parameters<typeof toChatRequest>[1]) => {
  const parsed = ResponsesRequest.parse({ model: "m", ...body });
  const chat = toChatRequest(parsed, style);
  if (!chat.success) throw new Error(chat.error.message);
  return chat.data as Record<string, unknown>;
};

describe("toChatRequest", () => {
  it("input items: developer → system, parts, images, tool calls grouped into one assistant turn, outputs as tool messages", () => {
    const chat = convert({
      instructions: "Be brief.",
      input: [
        { role: "developer", content: "No emojis." },
        {
          role: "user",
          content: [
            { type: "input_text", text: "What is in " },
            { type: "input_image", image_url: "data:image/png;base64,AAA", detail: "low" },
          ],
        },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Let me check." }] },
        { type: "function_call", call_id: "c1", name: "look", arguments: '{"a":1}' },
        { type: "function_call", call_id: "c2", name: "look", arguments: '{"a":2}' },
        { type: "function_call_output", call_id: "c1", output: "one" },
        { type: "function_call_output", call_id: "c2", output: { n: 2 } },
        { type: "reasoning", summary: [] },
      ],
    });
    expect(chat.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "system", content: "No emojis." },
      {
        role: "user",
        content: [
          { type: "text", text: "What is in " },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAA", detail: "low" } },
        ],
      },
      { role: "assistant", content: "Let me check." },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "c1", type: "function", function: { name: "look", arguments: '{"a":1}' } },
          { id: "c2", type: "function", function: { name: "look", arguments: '{"a":2}' } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "one" },
      { role: "tool", tool_call_id: "c2", content: '{"n":2}' },
    ]);
  });

  it("tools, tool_choice, text.format, max_output_tokens, stream with usage asked", () => {
    const chat = convert({
      input: "x",
      tools: [{ type: "function", name: "f", parameters: { type: "object", properties: {} }, strict: true }],
      tool_choice: { type: "function", name: "f" },
      text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true } },
      max_output_tokens: 50,
      stream: true,
    });
    expect(chat).toMatchObject({
      max_tokens: 50,
      tools: [
        { type: "function", function: { name: "f", parameters: { type: "object", properties: {} }, strict: true } },
      ],
      tool_choice: { type: "function", function: { name: "f" } },
      response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true } },
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("reasoning.effort per provider style: effort, Anthropic's budget (room for the answer), Gemini's budget", () => {
    expect(convert({ input: "x", reasoning: { effort: "high" } })).toMatchObject({ reasoning_effort: "high" });
    const claude = convert(
      { input: "x", max_output_tokens: 100, reasoning: { effort: "medium" } },
      "anthropic-thinking",
    );
    expect(claude).toMatchObject({ thinking: { type: "enabled", budget_tokens: 4096 }, max_tokens: 5120 });
    expect(convert({ input: "x", reasoning: { effort: "low" } }, "gemini-thinking")).toMatchObject({
      thinking_budget: 1024,
    });
  });

  it("what only a native provider can take is a ResponsesInputError naming the field", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ previous_response_id: "resp_1" }, "previous_response_id"],
      [{ store: true }, "store"],
      [{ tools: [{ type: "file_search" }] }, "tools.0.type"],
      [{ input: [{ type: "item_reference", id: "x" }] }, "input.0.type"],
      [{ input: [{ role: "user", content: [{ type: "input_file", file_id: "f" }] }] }, "input.0.content.0.type"],
      [{ tool_choice: { type: "web_search_preview" } }, "tool_choice.type"],
    ];
    for (const [body, param] of cases) {
      const parsed = ResponsesRequest.parse({ model: "m", input: "x", ...body });
      expect(() => toChatRequest(parsed)).toThrow(ResponsesInputError);
      try {
        toChatRequest(parsed);
      } catch (error) {
        expect((error as ResponsesInputError).param).toBe(param);
      }
    }
  });
});

describe("toResponse", () => {
  it("a chat.completion as a response: reasoning, message and function_call items, status, usage", () => {
    const completion = {
      id: "chatcmpl-abc",
      model: "claude-x",
      created: 1_700_000_000,
      choices: [
        {
          finish_reason: "length",
          message: {
            content: "Hi",
            reasoning_content: "thinking",
            tool_calls: [{ id: "call_1", function: { name: "f", arguments: "{}" } }],
          },
        },
      ],
    };
    const usage = {
      input_tokens: 10,
      output_tokens: 5,
      cache_read_tokens: 2,
      cache_write_tokens: 0,
      reasoning_tokens: 1,
      estimated: false,
    };
    const response = toResponse(completion, usage, ResponsesRequest.parse({ model: "m", input: "x" }), 0);
    expect(response).toMatchObject({
      id: "resp_abc",
      object: "response",
      status: "incomplete",
      incomplete_details: { reason: "max_output_tokens" },
      model: "claude-x",
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 2 }, output_tokens: 5, total_tokens: 15 },
    });
    expect((response.output as Array<{ type: string }>).map((i) => i.type)).toEqual([
      "reasoning",
      "message",
      "function_call",
    ]);
    expect(responseId("resp_x")).toBe("resp_x");
  });
});
