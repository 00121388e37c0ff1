import { describe, expect, it } from "vitest";
import { body, setup, usage } from "./telemetry-test-fixtures.ts";

describe("gateway telemetry: request span of a stream", () => {
  it("reads a stream's response id, finish reasons and time to first chunk from relayed chunks", () => {
    const { gateway, spans } = setup();
    const t = gateway.startRequest({ incomingHeaders: {}, startedAt: performance.now() - 5 });
    t.setRequest({ ...body, stream: true });
    t.streamChunk({
      data: JSON.stringify({
        id: "chatcmpl-s1",
        model: "gpt-4o-mini-x",
        choices: [{ index: 0, delta: { content: "He" } }],
      }),
      id: "chatcmpl-s1",
      model: "gpt-4o-mini-x",
      finishReasons: [],
    });
    t.firstToken();
    t.streamChunk({
      data: JSON.stringify({
        id: "chatcmpl-s1",
        choices: [{ index: 0, delta: { content: "llo" }, finish_reason: "stop" }],
      }),
      id: "chatcmpl-s1",
      model: null,
      finishReasons: ["stop"],
    });
    t.end({ statusCode: 200, errorType: null, provider: "openai", usage });
    const [span] = spans();
    expect(span!.attributes).toMatchObject({
      "gen_ai.request.stream": true,
      "gen_ai.response.id": "chatcmpl-s1",
      "gen_ai.response.model": "gpt-4o-mini-x",
      "gen_ai.response.finish_reasons": ["stop"],
    });
    expect(span!.attributes["gen_ai.response.time_to_first_chunk"]).toBeGreaterThan(0);
  });

  it("takes a stream's id, model and finish reasons as the chunks give them, without reading their JSON", () => {
    const { gateway, spans } = setup();
    const t = gateway.startRequest({ incomingHeaders: {} });
    t.setRequest({ ...body, stream: true });
    // Chunks with JSON that says otherwise (or is not JSON): the given facts are what the span reports.
    t.streamChunk({ data: "not json", id: null, model: null, finishReasons: [] });
    t.streamChunk({ data: '{"id":"other"}', id: "chatcmpl-given", model: "m-given", finishReasons: [] });
    t.streamChunk({ data: "{}", id: "chatcmpl-later", model: "m-last", finishReasons: ["stop", "length"] });
    t.end({ statusCode: 200, errorType: null, provider: "openai", usage });
    const [span] = spans();
    expect(span!.attributes).toMatchObject({
      "gen_ai.response.id": "chatcmpl-given",
      "gen_ai.response.model": "m-last",
      "gen_ai.response.finish_reasons": ["stop", "length"],
    });
    expect(span!.attributes["gen_ai.output.messages"]).toBeUndefined();
  });

  it("captures a stream's output per choice only when the capture option is on", () => {
    const chunk = (index: number, content: string, finish: string | null) => ({
      data: JSON.stringify({ id: "chatcmpl-n2", choices: [{ index, delta: { content }, finish_reason: finish }] }),
      id: "chatcmpl-n2",
      model: "gpt-4o-mini",
      finishReasons: finish === null ? [] : [finish],
    });
    for (const captureContent of [true, false]) {
      const { gateway, spans } = setup({ captureContent });
      const t = gateway.startRequest({ incomingHeaders: {} });
      t.setRequest({ ...body, stream: true, n: 2 });
      t.streamChunk(chunk(0, "He", null));
      t.streamChunk(chunk(1, "Hi", null));
      t.streamChunk(chunk(0, "llo", "stop"));
      t.streamChunk(chunk(1, "!", "length"));
      t.end({ statusCode: 200, errorType: null, provider: "openai", usage });
      const [span] = spans();
      expect(span!.attributes["gen_ai.response.finish_reasons"]).toEqual(["stop", "length"]);
      const output = span!.attributes["gen_ai.output.messages"];
      if (!captureContent) expect(output).toBeUndefined();
      else
        expect(JSON.parse(String(output))).toEqual([
          { role: "assistant", parts: [{ type: "text", content: "Hello" }], finish_reason: "stop" },
          { role: "assistant", parts: [{ type: "text", content: "Hi!" }], finish_reason: "length" },
        ]);
    }
  });
});
