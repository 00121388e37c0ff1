import { PROVIDER_ADAPTERS } from "@switchyard/gateway/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAKE_TEXT, FAKE_TOOL_ARGS } from "../fakes/provider-fake.ts";
import {
  type ConformanceStack,
  factsDisagreeingWithData,
  foldChunks,
  HTTP_PROVIDERS,
  readSse,
  SETUPS,
  startConformanceStack,
  WEATHER_TOOL,
} from "./support.ts";

/** Streaming through the gateway for every provider that streams: text, tool calls, usage, cuts, aborts. */
let stack: ConformanceStack;
beforeAll(async () => {
  // Traced: the span of each stream says what its chunks told telemetry.
  stack = await startConformanceStack({ tracing: true });
});
afterAll(() => stack.close());
beforeEach(() => stack.reset());

const streaming = HTTP_PROVIDERS.filter((id) => PROVIDER_ADAPTERS[id].capabilities.streaming);

/**
 * The span reports the response id the client's chunks carry and their finish reason, taken from
 * the facts each chunk came with (which say what the chunk's JSON says), not from parsing chunks.
 */
async function expectSpanFacts(events: Array<Record<string, unknown>>, finish: string) {
  const span = await stack.requestSpan();
  const ids = [...new Set(events.map((e) => e.id))];
  expect(ids).toHaveLength(1);
  expect(span["gen_ai.response.id"]).toBe(ids[0]);
  expect(span["gen_ai.response.finish_reasons"]).toEqual([finish]);
  expect(stack.streamed().length).toBeGreaterThanOrEqual(events.length);
  expect(factsDisagreeingWithData(stack.streamed())).toEqual([]);
}

describe.each(streaming)("%s: streaming", (id) => {
  const setup = SETUPS[id];
  const caps = PROVIDER_ADAPTERS[id].capabilities;
  const stream = (extra: Record<string, unknown> = {}, init: { signal?: AbortSignal } = {}) =>
    stack.post(
      "/v1/chat/completions",
      id,
      { model: setup.model, messages: [{ role: "user", content: "Say hello" }], stream: true, ...extra },
      init,
    );

  it("streams text as chat.completion.chunk events ending in [DONE], usage and cost recorded", async () => {
    const res = await stream();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const { events, done } = await readSse(res);
    expect(done).toBe(true);
    expect(events.every((e) => e.object === "chat.completion.chunk")).toBe(true);
    const folded = foldChunks(events);
    expect(folded.text).toBe(FAKE_TEXT);
    expect(folded.finish).toBe("stop");
    // Usage is collected for the event but not shown to a client that did not ask for it.
    expect(events.some((e) => e.usage)).toBe(false);
    const event = await stack.event();
    expect(event).toMatchObject({ provider: id, stream: true, status_code: 200, error_type: null });
    expect(event.usage).toMatchObject({ ...setup.usage, estimated: false });
    expect(event.ttft_ms).not.toBeNull();
    if (setup.priced) expect(event.cost_nano_usd).toBeGreaterThan(0);
    await expectSpanFacts(events, "stop");
  });

  it("sends the final usage chunk to a client that asked for it", async () => {
    const res = await stream({ stream_options: { include_usage: true } });
    const { events } = await readSse(res);
    const usage = events.find((e) => e.usage)?.usage as { prompt_tokens: number; completion_tokens: number };
    expect(usage).toMatchObject({ prompt_tokens: 42, completion_tokens: 17 });
  });

  if (caps.tools) {
    it("streams tool calls as tool_calls deltas", async () => {
      const res = await stream({ tools: [WEATHER_TOOL] });
      const { events, done } = await readSse(res);
      expect(done).toBe(true);
      const folded = foldChunks(events);
      expect(folded.finish).toBe("tool_calls");
      expect(folded.tools).toHaveLength(1);
      expect(folded.tools[0]?.name).toBe("get_weather");
      expect(folded.tools[0]?.id).not.toBe("");
      expect(JSON.parse(folded.tools[0]?.arguments ?? "null")).toEqual(JSON.parse(FAKE_TOOL_ARGS));
      await expectSpanFacts(events, "tool_calls");
    });
  }

  it("a stream without usage is counted locally and marked estimated", async () => {
    stack.fake(id).usage = null;
    const { done } = await readSse(await stream());
    expect(done).toBe(true);
    const event = await stack.event();
    expect(event.usage.estimated).toBe(true);
    expect(event.usage.input_tokens).toBeGreaterThan(3);
    expect(event.usage.output_tokens).toBeGreaterThan(3);
  });

  it("a stream the upstream cuts ends with an SSE error event, and the event records it", async () => {
    stack.fake(id).cutNext(2);
    const res = await stream();
    expect(res.status).toBe(200);
    const { raw, done } = await readSse(res);
    expect(done).toBe(false);
    expect(raw).toContain('"code":"stream_interrupted"');
    const event = await stack.event();
    expect(event).toMatchObject({ provider: id, error_type: "stream_interrupted", status_code: 502 });
  });

  it("a client disconnect aborts the upstream request", async () => {
    const fake = stack.fake(id);
    fake.stallNext();
    const controller = new AbortController();
    const pending = stream({}, { signal: controller.signal }).catch((error: Error) => error);
    await fake.waitUntil(() => fake.calls.length === 1, "the stalled request");
    controller.abort();
    await pending;
    await fake.waitUntil(() => fake.aborted === 1, "the upstream request to be aborted");
    const event = await stack.event();
    expect(event).toMatchObject({ status_code: 499, error_type: "client_disconnected" });
  });
});
