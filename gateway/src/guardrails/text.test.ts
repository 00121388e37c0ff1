import { describe, expect, it } from "vitest";
import { requestSlots, responseSlots, rewriteSlots } from "./text.ts";

describe("checked text and rewrites", () => {
  it("reads the last message by default, every message with all; text parts, prompt, input", () => {
    const chat = {
      messages: [
        { role: "system", content: "sys" },
        { role: "user", content: [{ type: "text", text: "a" }, { type: "image_url" }, { type: "text", text: "b" }] },
      ],
    };
    expect(requestSlots(chat, "last").map((s) => s.text)).toEqual(["a", "b"]);
    expect(requestSlots(chat, "all").map((s) => s.text)).toEqual(["sys", "a", "b"]);
    expect(requestSlots({ prompt: "p" }, "last").map((s) => s.text)).toEqual(["p"]);
    expect(requestSlots({ input: ["x", "y"] }, "last").map((s) => s.text)).toEqual(["y"]);
    expect(requestSlots({ input: ["x", "y"] }, "all").map((s) => s.text)).toEqual(["x", "y"]);
    const messages = { native: { system: "s", messages: [{ role: "user", content: "n" }] }, chat: {} };
    expect(requestSlots(messages, "all").map((s) => s.text)).toEqual(["s", "n"]);
  });

  it("reads choices[0] or Anthropic text blocks of an answer", () => {
    expect(
      responseSlots({ choices: [{ message: { content: "c" } }, { message: { content: "d" } }] }).map((s) => s.text),
    ).toEqual(["c"]);
    expect(responseSlots({ choices: [{ text: "t" }] }).map((s) => s.text)).toEqual(["t"]);
    expect(responseSlots({ content: [{ type: "text", text: "x" }, { type: "tool_use" }] }).map((s) => s.text)).toEqual([
      "x",
    ]);
  });

  it("writes rewrites back by copying (the original is untouched); /v1/messages' converted chat request too", () => {
    const body = { messages: [{ role: "user", content: "secret" }] };
    const slots = requestSlots(body, "last");
    expect(rewriteSlots(body, slots, ["[x]"])).toEqual({ messages: [{ role: "user", content: "[x]" }] });
    expect(body.messages[0]?.content).toBe("secret");
    const native = {
      native: { messages: [{ role: "user", content: "secret" }] },
      chat: {
        messages: [
          { role: "system", content: "s" },
          { role: "user", content: "secret" },
        ],
      },
    };
    const out = rewriteSlots(native, requestSlots(native, "last"), ["[x]"]) as typeof native;
    expect(out.native.messages[0]?.content).toBe("[x]");
    expect(out.chat.messages[1]?.content).toBe("[x]");
  });

  it("reads /v1/responses input (string or message items) and instructions, and rewrites its chat form too", () => {
    expect(requestSlots({ native: { input: "hi", instructions: "be brief" }, chat: {} }, "last")).toEqual([
      { path: ["native", "input"], text: "hi" },
    ]);
    const items = {
      native: {
        instructions: "be brief",
        input: [
          { role: "user", content: "first" },
          { type: "function_call_output", call_id: "c", output: "{}" },
          { role: "user", content: [{ type: "input_text", text: "my email is a@b.co" }, { type: "input_image" }] },
        ],
      },
      chat: {
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: "first" },
          { role: "user", content: "my email is a@b.co" },
        ],
      },
    };
    expect(requestSlots(items, "last").map((s) => s.text)).toEqual(["my email is a@b.co"]);
    expect(requestSlots(items, "all").map((s) => s.text)).toEqual(["be brief", "first", "my email is a@b.co"]);
    const slots = requestSlots(items, "last");
    const out = rewriteSlots(items, slots, ["my email is {{EMAIL_ADDRESS_1}}"]) as typeof items;
    expect(out.native.input[2]).toEqual({
      role: "user",
      content: [{ type: "input_text", text: "my email is {{EMAIL_ADDRESS_1}}" }, { type: "input_image" }],
    });
    expect(out.chat.messages[2]?.content).toBe("my email is {{EMAIL_ADDRESS_1}}");
    expect(items.native.input[2]).not.toEqual(out.native.input[2]);
  });

  it("reads the output_text parts of a native Response", () => {
    const response = {
      output: [
        { type: "reasoning", summary: [] },
        {
          type: "message",
          content: [
            { type: "output_text", text: "answer" },
            { type: "refusal", refusal: "r" },
          ],
        },
      ],
    };
    expect(responseSlots(response)).toEqual([{ path: ["output", 1, "content", 0, "text"], text: "answer" }]);
  });
});
