import { describe, expect, it } from "vitest";
import { upstreamAndGateway } from "./upstream-and-gateway.ts";

/**
 * Issue 10 §7, regression: an upstream that echoes the caller's key in its 401 had that text
 * stored verbatim in error_message (event log, ClickHouse, trace API) and returned to the client.
 */
const { upstream, gw } = upstreamAndGateway("echo");

const KEYS = {
  openai: "sk-proj-CallerSecret0123456789abcdef",
  anthropic: "sk-ant-api03-CallerSecret0123456789",
  google: "AIzaSyCallerSecret0123456789abcdefghij",
};

describe("an upstream echoing the caller's key", () => {
  it.each(Object.entries(KEYS))("%s-shaped key: masked in the stored event and in the answer", async (_kind, key) => {
    upstream.failNext(1, {
      status: 401,
      message: `Incorrect API key provided: ${key}. You can find your API key at …`,
    });
    const res = await gw.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${key}`,
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": upstream.baseUrl,
      },
      payload: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.statusCode).toBe(401);
    expect(upstream.requests[0]?.headers.authorization).toBe(`Bearer ${key}`);
    expect(res.body).not.toContain(key);
    expect(res.json().error.message).toContain("Incorrect API key provided: ");
    const [event] = await gw.sink.waitFor(1);
    expect(event?.error_message).toMatch(/Incorrect API key provided: \S*\*\*\*/);
    expect(JSON.stringify(event)).not.toContain(key);
  });
});
