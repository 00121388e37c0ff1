import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestGateway } from "../test-support.ts";

/**
 * Issue 10 §7: an upstream that echoes whatever credential it was sent. A caller's own key need
 * not look like a provider key (a vLLM or proxy token, an Azure key), so errors.ts masks the
 * caller's credentials literally, passed in from the target by the provider (adapter.ts).
 */
const echo = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    const sent = String(req.headers.authorization ?? req.headers["api-key"] ?? req.headers["x-api-key"] ?? "");
    const message = `credential '${sent.replace(/^Bearer /, "")}' is not valid for this deployment`;
    res.writeHead(401, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message, type: "authentication_error", code: "invalid_api_key" } }));
  });
});
const gw = buildTestGateway();
let base = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await gw.close();
  await new Promise((resolve) => echo.close(resolve));
});

describe("the caller's own credential, whatever its shape, is masked in what is stored and returned", () => {
  it.each([
    ["openai", "plain-proxy-token-4f2a9c"],
    ["vllm", "my own vllm token"],
  ])("%s with key %j", async (provider, key) => {
    gw.sink.events.length = 0;
    const res = await gw.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: {
        "content-type": "application/json",
        "x-portkey-config": JSON.stringify({ provider, api_key: key, custom_host: base }),
      },
      payload: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain(key);
    expect(res.json().error.message).toContain("is not valid for this deployment");
    const [event] = await gw.sink.waitFor(1);
    expect(event?.error_message).toContain("***");
    expect(JSON.stringify(event)).not.toContain(key);
  });
});
