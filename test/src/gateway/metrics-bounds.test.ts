import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildTestGateway, createGatewayTelemetry } from "@switchyard/gateway/testing";
import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Issue 10 §5, regression: one client could bloat /metrics without bound. A 100 KB model name
 * added ~10 MB to every scrape; a 6 MiB one made each later scrape a multi-second 500. Model
 * names from a body are now refused past 256 characters, and every metric label value is length-
 * and cardinality-capped (over-long values count as `_OTHER`), whatever route or upstream they
 * come from. The scrape is the text GET /metrics serves (telemetry.scrapeMetrics).
 */

const HUGE = "m".repeat(100 * 1024);
const ENORMOUS = "m".repeat(6 * 1024 * 1024);

/** An OpenAI-compatible upstream that names a 100 KB model in every answer. */
function hugeModelUpstream(): Server {
  return createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const embeddings = req.url?.endsWith("/embeddings");
      const body = embeddings
        ? {
            object: "list",
            model: HUGE,
            data: [{ object: "embedding", index: 0, embedding: [0.1] }],
            usage: { prompt_tokens: 1, total_tokens: 1 },
          }
        : {
            id: "chatcmpl-huge",
            object: "chat.completion",
            created: 0,
            model: HUGE,
            choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
            usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
          };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
  });
}

const mem = inMemoryTelemetry({ tracing: false });
const gw = buildTestGateway({ bodyLimitBytes: 8 * 1024 * 1024, telemetry: createGatewayTelemetry(mem.telemetry) });
const upstream = hugeModelUpstream();
let upstreamUrl = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await gw.close();
  await new Promise((resolve) => upstream.close(resolve));
});

const scrape = async () => (await mem.telemetry.scrapeMetrics!()).length;

function post(url: string, body: unknown, headers: Record<string, string>) {
  return gw.app.inject({
    method: "POST",
    url,
    headers: { "content-type": "application/json", ...headers },
    payload: JSON.stringify(body),
  });
}

const toUpstream = () => ({
  "x-portkey-provider": "openai",
  "x-portkey-custom-host": upstreamUrl,
  authorization: "Bearer sk-test",
});
const messages = [{ role: "user", content: "hi" }];

describe("/metrics stays small whatever model names clients and upstreams use", () => {
  it("a 100 KB and a 6 MiB model name in a body are 400s naming model, and /metrics does not grow", async () => {
    expect(
      (await post("/v1/chat/completions", { model: "gpt-4o-mini", messages }, { "x-portkey-provider": "mock" }))
        .statusCode,
    ).toBe(200);
    const before = await scrape();
    for (const model of [HUGE, ENORMOUS]) {
      const res = await post("/v1/chat/completions", { model, messages }, { "x-portkey-provider": "mock" });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: "invalid_request", param: "model" });
      expect(res.body.length).toBeLessThan(1024);
    }
    const started = performance.now();
    expect(await scrape()).toBeLessThan(before + 4 * 1024);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("an upstream answering with a 100 KB model name is served; its label stays short", async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++) {
      const res = await post("/v1/chat/completions", { model: "gpt-4o-mini", messages }, toUpstream());
      expect(res.statusCode).toBe(200);
    }
    const text = await mem.telemetry.scrapeMetrics!();
    expect(text.length).toBeLessThan(before + 32 * 1024);
    // Bounded however it gets there: refused as a label (_OTHER) or already shortened in the event.
    const longest = Math.max(...[...text.matchAll(/="([^"]*)"/g)].map((m) => m[1]!.length));
    expect(longest).toBeLessThanOrEqual(256);
  });

  it("metric labels are capped in length wherever the value comes from (request or response model)", async () => {
    const own = inMemoryTelemetry({ tracing: false });
    const gateway = createGatewayTelemetry(own.telemetry);
    for (const model of [HUGE, ENORMOUS, `${HUGE}-2`]) {
      const t = gateway.startRequest({ incomingHeaders: {}, requestModel: model });
      t.end({ statusCode: 200, errorType: null, provider: "openai", responseModel: model });
    }
    const started = performance.now();
    const text = await own.telemetry.scrapeMetrics!();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(text.length).toBeLessThan(32 * 1024);
    expect(text).toMatch(/gen_ai_request_model="_OTHER",gen_ai_response_model="_OTHER"/);
  });
});
