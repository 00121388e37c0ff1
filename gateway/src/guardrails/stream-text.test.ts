import { describe, expect, it } from "vitest";
import type { StreamChunk } from "../providers/provider.ts";
import { PII_CATEGORIES, PiiPlaceholders, scanPii } from "./pii.ts";
import { StreamText } from "./stream-text.ts";
import { responseSlots, rewriteSlots } from "./text.ts";

/**
 * A streamed answer's text as output checks read it, and a rewrite written back: in each of the
 * three stream forms a value split across chunks is redacted from all of them.
 */
const base = { id: null, usage: null, model: null, finishReasons: [], usageOnly: false };
const chat = (content: string, index = 0): StreamChunk => ({
  ...base,
  data: JSON.stringify({ object: "chat.completion.chunk", choices: [{ index, delta: { content } }] }),
});
const frame = (event: string, data: object, text?: string): StreamChunk => ({
  ...base,
  data: JSON.stringify(data),
  passThrough: `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
  ...(text !== undefined ? { text } : {}),
});
const anthropicDelta = (index: number, text: string) =>
  frame("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text } }, text);
const responsesDelta = (delta: string) =>
  frame(
    "response.output_text.delta",
    { type: "response.output_text.delta", output_index: 0, content_index: 0, delta },
    delta,
  );

/** What pii with redact does to an answer: its texts redacted, written back. */
function redacted(answer: unknown): unknown {
  const slots = responseSlots(answer);
  const placeholders = new PiiPlaceholders();
  return rewriteSlots(
    answer,
    slots,
    slots.map((s) => scanPii(s.text, PII_CATEGORIES, placeholders).redacted),
  );
}

function run(chunks: StreamChunk[]) {
  const text = new StreamText();
  for (const c of chunks) text.add(c, true);
  const assembled = text.assembled();
  return { assembled, sent: text.rewrite(chunks, redacted(assembled)) };
}

describe("stream text", () => {
  it("chat chunks: choice 0's content assembled; a split e-mail redacted from every chunk", () => {
    const chunks = [chat(""), chat("mail jo@exa"), chat("other", 1), chat("mple.com now"), chat(" ok")];
    const { assembled, sent } = run(chunks);
    expect(responseSlots(assembled).map((s) => s.text)).toEqual(["mail jo@example.com now ok"]);
    const out = sent.map((c) => JSON.parse(c.data).choices[0].delta.content).join("|");
    expect(out).toBe("|mail {{EMAIL_ADDRESS_1}} now ok|other||");
    expect(sent.map((c) => c.data).join()).not.toContain("exa");
  });

  it("Anthropic frames: text blocks are slots; an emptied frame is not sent; other frames untouched", () => {
    const start = frame("message_start", { type: "message_start", message: { id: "msg_1", content: [] } });
    const chunks = [
      start,
      anthropicDelta(0, "call +1 415-"),
      anthropicDelta(0, "555-0132 please"),
      anthropicDelta(1, "b"),
    ];
    const { assembled, sent } = run(chunks);
    expect(assembled).toEqual({
      type: "message",
      role: "assistant",
      content: [
        { type: "text", text: "call +1 415-555-0132 please" },
        { type: "text", text: "b" },
      ],
    });
    expect(sent[0]).toBe(start);
    expect(sent[1]?.passThrough).toBe(
      `event: content_block_delta\ndata: ${JSON.stringify({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "call {{PHONE_NUMBER_1}} please" } })}\n\n`,
    );
    expect(sent[1]?.text).toBe("call {{PHONE_NUMBER_1}} please");
    expect(sent[2]?.passThrough).toBe("");
    expect(sent[3]).toBe(chunks[3]);
  });

  it("Responses frames: deltas rewritten, and the .done events and final snapshot repeat the new text", () => {
    const done = frame("response.output_text.done", {
      type: "response.output_text.done",
      text: "key sk-ant-abcdefghijklmnopqrstuvwx1",
    });
    const completed = frame("response.completed", {
      type: "response.completed",
      response: {
        output: [{ type: "message", content: [{ type: "output_text", text: "key sk-ant-abcdefghijklmnopqrstuvwx1" }] }],
      },
    });
    const chunks = [responsesDelta("key sk-ant-abcdefgh"), responsesDelta("ijklmnopqrstuvwx1"), done, completed];
    const { sent } = run(chunks);
    const all = sent.map((c) => c.passThrough).join("");
    expect(all).not.toContain("abcdefgh");
    expect(JSON.parse(sent[0]?.data ?? "").delta).toBe("key {{SECRET_1}}");
    expect(sent[1]?.passThrough).toBe("");
    expect(JSON.parse(sent[2]?.data ?? "").text).toBe("key {{SECRET_1}}");
    expect(JSON.parse(sent[3]?.data ?? "").response.output[0].content[0].text).toBe("key {{SECRET_1}}");
  });

  it("nothing rewritten: the same chunks", () => {
    const chunks = [chat("hello"), chat(" world")];
    const { sent } = run(chunks);
    expect(sent).toEqual(chunks);
  });
});
