import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestGateway } from "../test-support.ts";

/**
 * An OpenAI-shaped upstream whose 200 answers carry `tool_calls: {}`, which the /v1/messages and /v1/responses
 * converters cannot take: the client's error and the recorded event must be the same answer.
 */
let answer: { body: string; sse: boolean } = { body: "{}", sse: false };
let upstream: Server;
let upstreamUrl = "";
const gw = buildTestGateway();
let base = "";

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": answer.sse ? "text/event-stream" : "application/json" });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  await gw.app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await gw.close();
  await new Promise((resolve) => upstream.close(resolve));
});

const headers = (provider: string) => ({
  "content-type": "application/json",
  "x-portkey-provider": provider,
  "x-portkey-custom-host": upstreamUrl,
  authorization: "Bearer sk-test-upstream",
});

async function call(path: string, provider: string, body: unknown) {
  const before = gw.sink.events.length;
  const res = await fetch(base + path, { method: "POST", headers: headers(provider), body: JSON.stringify(body) });
  const text = await res.text();
  const deadline = Date.now() + 5_000;
  while (gw.sink.events.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return { status: res.status, text, events: gw.sink.events.slice(before) };
}

const weirdJson = JSON.stringify({
  id: "c1",
  object: "chat.completion",
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: "hi", tool_calls: {} }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});
const weirdSse = [
  `data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"a"}}]}`,
  `data: {"id":"c","model":"m","choices":[{"index":0,"delta":{"tool_calls":{"x":1}}}]}`,
  "data: [DONE]",
  "",
].join("\n\n");

describe("an upstream answer the endpoint cannot convert", () => {
  it("JSON: the client gets a 502 and the event records that 502", async () => {
    answer = { body: weirdJson, sse: false };
    for (const [path, provider, body] of [
      ["/v1/messages", "openai", { model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }],
      ["/v1/responses", "together", { model: "m", input: "hi" }],
    ] as const) {
      const { status, text, events } = await call(path, provider, body);
      expect(status, `${path}: ${text}`).toBe(502);
      expect(text).not.toMatch(/TypeError|not iterable/);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ status_code: 502, error_type: "invalid_upstream_response" });
    }
  });

  it("a stream chunk: the stream ends with the endpoint's error event, and the event records the error", async () => {
    answer = { body: weirdSse, sse: true };
    for (const [path, provider, body] of [
      [
        "/v1/messages",
        "openai",
        { model: "m", max_tokens: 5, stream: true, messages: [{ role: "user", content: "hi" }] },
      ],
      ["/v1/responses", "together", { model: "m", stream: true, input: "hi" }],
    ] as const) {
      const { text, events } = await call(path, provider, body);
      expect(text).toMatch(/could not be converted/);
      expect(text).not.toMatch(/TypeError|not iterable/);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ status_code: 502, error_type: "invalid_upstream_response" });
    }
  });
});
