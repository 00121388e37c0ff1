import { describe, expect, it } from "vitest";
import { responseFacts } from "./genai-content.ts";

describe("responseFacts", () => {
  it("scans id, model and finish reasons without being fooled by message content", () => {
    const body = JSON.stringify({
      id: "chatcmpl-9",
      object: "chat.completion",
      model: "gpt-4o",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: '{"finish_reason":"fake","id":"x"}' },
          finish_reason: "stop",
        },
        { index: 1, message: { role: "assistant", content: "" }, finish_reason: "length" },
      ],
    });
    expect(responseFacts(Buffer.from(body), false)).toEqual({
      id: "chatcmpl-9",
      model: "gpt-4o",
      finishReasons: ["stop", "length"],
    });
  });

  it("reads Anthropic messages (stop_reason) and falls back to parsing when id is not the first key", () => {
    const anthropic = JSON.stringify({ id: "msg_1", type: "message", model: "claude", stop_reason: "end_turn" });
    expect(responseFacts(anthropic, false)).toMatchObject({ id: "msg_1", finishReasons: ["end_turn"] });
    const reordered = JSON.stringify({ model: "m", choices: [{ finish_reason: "stop" }], id: "late" });
    expect(responseFacts(reordered, false)).toEqual({ id: "late", model: "m", finishReasons: ["stop"] });
    expect(responseFacts("not json", false)).toBeNull();
  });
});
