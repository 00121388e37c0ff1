import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { admin, LimitsHarness } from "./limits-test-support.ts";

/**
 * The x-ratelimit-* headers of a limited key are the gateway's own: an upstream's headers of the same
 * names (OpenAI sends them) are written over, on JSON and on streamed answers; without a clash the
 * upstream's other headers pass as they are.
 */
let harness: LimitsHarness;
let upstream: Server;
let baseUrl = "";
beforeEach(async () => {
  harness = await LimitsHarness.open();
  upstream = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
      const headers = { "x-ratelimit-limit-requests": "10000", "x-ratelimit-remaining-requests": "9999" };
      const message = { role: "assistant", content: "hi" };
      const usage = { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 };
      if (!stream) {
        res.writeHead(200, { "content-type": "application/json", ...headers });
        const choices = [{ index: 0, message, finish_reason: "stop" }];
        res.end(
          JSON.stringify({ id: "c1", object: "chat.completion", created: 1, model: "gpt-4o-mini", choices, usage }),
        );
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", ...headers });
      const chunk = { id: "c1", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini" };
      res.write(
        `data: ${JSON.stringify({ ...chunk, choices: [{ index: 0, delta: message, finish_reason: null }] })}\n\n`,
      );
      res.write(
        `data: ${JSON.stringify({ ...chunk, choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage })}\n\n`,
      );
      res.end("data: [DONE]\n\n");
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
});
afterEach(async () => {
  await harness.close();
  await new Promise((resolve) => upstream.close(resolve));
});

describe("x-ratelimit-* of a limited key", () => {
  it.each([false, true])("replace the upstream's (stream: %s)", async (stream) => {
    const gw = await harness.gateway();
    await gw.app.inject(admin("POST", "/tenants", { id: "default" }));
    await gw.app.inject(
      admin("PUT", "/tenants/default/limits", { rate_limits: [{ type: "requests", unit: "rpm", value: 5 }] }),
    );
    const answer = await gw.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: {
        "content-type": "application/json",
        "x-portkey-config": JSON.stringify({ provider: "openai", api_key: "sk-test", custom_host: baseUrl }),
      },
      payload: JSON.stringify({
        model: "gpt-4o-mini",
        max_tokens: 10,
        stream,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["x-ratelimit-limit-requests"]).toBe("5");
    expect(answer.headers["x-ratelimit-remaining-requests"]).toBe("4");
    expect(answer.headers["x-ratelimit-reset-requests"]).toMatch(/^\d+s$/);
  });
});
