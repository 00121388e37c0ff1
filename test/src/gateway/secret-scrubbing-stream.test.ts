import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildTestGateway } from "@switchyard/gateway/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Issue 10 §7, streams: an upstream whose SSE stream ends in an error event echoing the caller's
 * key must not get that key stored (event error_message) nor relayed (the client's SSE error event).
 */
const KEY = "sk-proj-StreamSecret0123456789abcdef";
const chunk = { id: "chatcmpl-1", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: "Hel" } }] };
const upstream: Server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  res.end(`data: ${JSON.stringify({ error: { message: `key ${KEY} was revoked mid-stream`, type: "auth" } })}\n\n`);
});
const gw = buildTestGateway();
let base = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await gw.close();
  await new Promise((resolve) => upstream.close(resolve));
});

describe("an upstream stream error echoing the caller's key", () => {
  it("is masked in the SSE error event and in the stored event", async () => {
    const res = await gw.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${KEY}`,
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": base,
      },
      payload: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    expect(res.body).toContain("stream_interrupted");
    expect(res.body).toContain("was revoked mid-stream");
    expect(res.body).not.toContain(KEY);
    const [event] = await gw.sink.waitFor(1);
    expect(event).toMatchObject({ status_code: 502, error_type: "stream_interrupted" });
    expect(event?.error_message).toContain("was revoked mid-stream");
    expect(JSON.stringify(event)).not.toContain(KEY);
  });
});
