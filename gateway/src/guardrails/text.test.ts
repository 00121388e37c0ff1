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
});
