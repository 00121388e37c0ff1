import { buildTestGateway, type OpenAIBody } from "@switchyard/gateway/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";

const upstream = new FakeOpenAIUpstream();
const gw = buildTestGateway();
let base = "";

beforeAll(async () => {
  await upstream.start();
  base = await gw.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await gw.close();
  await upstream.stop();
});
beforeEach(() => {
  upstream.behaviour = { kind: "ok" };
  upstream.requests.length = 0;
  gw.sink.events.length = 0;
});

const chat = (extra: Record<string, unknown> = {}) => ({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Say hello" }],
  ...extra,
});

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "content-type": "application/json",
    authorization: "Bearer sk-provider-secret",
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": upstream.baseUrl,
    ...extra,
  };
}

describe("POST /v1/chat/completions (openai upstream)", () => {
  it("relays a completion, echoes a generated trace id and emits one priced event", async () => {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: headers({ "x-portkey-metadata": JSON.stringify({ _user: "alice", team: "search", n: 3 }) }),
      body: JSON.stringify(chat()),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as OpenAIBody;
    expect(body.object).toBe("chat.completion");
    const traceId = res.headers.get("x-portkey-trace-id");
    expect(traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("x-portkey-provider")).toBe("openai");
    expect(res.headers.get("x-ratelimit-remaining-requests")).toBe("9999");
    expect(upstream.requests[0]?.headers.authorization).toBe("Bearer sk-provider-secret");

    const [event] = await gw.sink.waitFor(1);
    expect(event).toMatchObject({
      trace_id: traceId,
      tenant_id: "default",
      provider: "openai",
      model_requested: "gpt-4o-mini",
      model_used: "gpt-4o-mini-2024-07-18",
      user: "alice",
      metadata: { _user: "alice", team: "search", n: "3" },
      status_code: 200,
      stream: false,
      usage: { input_tokens: 42, output_tokens: 17, cache_read_tokens: 10 },
      pricing_source: "genai-prices",
      retry_count: 0,
    });
    expect(event?.cost_nano_usd).toBeGreaterThan(0);
    // 32 uncached input at $0.15/M + 10 cached at $0.075/M + 17 output at $0.60/M
    expect(event?.cost_breakdown).toEqual({
      input: 4800,
      cached_input: 750,
      cache_write: 0,
      output: 10200,
      reasoning: 0,
    });
    expect(JSON.stringify(event)).not.toContain("sk-provider-secret");
  });

  it("keeps a client trace id", async () => {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: headers({ "x-portkey-trace-id": "trace-abc" }),
      body: JSON.stringify(chat()),
    });
    expect(res.headers.get("x-portkey-trace-id")).toBe("trace-abc");
    expect((await gw.sink.waitFor(1))[0]?.trace_id).toBe("trace-abc");
  });

  it("streams chunks, asks the upstream for usage and hides the usage chunk from a client that did not ask", async () => {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(chat({ stream: true })),
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
    expect(text).not.toContain('"usage"');
    expect(text).toContain(" fake");
    expect(upstream.requests[0]?.body.stream_options).toEqual({ include_usage: true });
    const [event] = await gw.sink.waitFor(1);
    expect(event?.stream).toBe(true);
    expect(event?.usage.input_tokens).toBe(42);
    expect(event?.cost_nano_usd).toBeGreaterThan(0);
    expect(event?.ttft_ms).not.toBeNull();
  });

  it("forwards the usage chunk when the client asked for it", async () => {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(chat({ stream: true, stream_options: { include_usage: true } })),
    });
    expect(await res.text()).toContain('"prompt_tokens":42');
  });

  it("ends a stream the upstream cuts with an SSE error event, not [DONE]", async () => {
    upstream.behaviour = { kind: "cut-stream", afterChunks: 2 };
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(chat({ stream: true })),
    });
    const text = await res.text();
    expect(text).not.toContain("[DONE]");
    expect(text).toContain('"code":"stream_interrupted"');
    const [event] = await gw.sink.waitFor(1);
    expect(event?.error_type).toBe("stream_interrupted");
    expect(event?.status_code).toBe(502);
  });

  it("passes an upstream error through with its status, OpenAI shape and rate-limit headers", async () => {
    upstream.behaviour = {
      kind: "error",
      status: 429,
      type: "rate_limit_error",
      message: "Rate limit reached",
      headers: { "retry-after": "2" },
    };
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(chat()),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(((await res.json()) as OpenAIBody).error).toMatchObject({
      type: "rate_limit_error",
      message: "Rate limit reached",
    });
    const [event] = await gw.sink.waitFor(1);
    expect(event).toMatchObject({ status_code: 429, error_type: "rate_limit_error", cost_nano_usd: 0 });
    expect(event?.attempts).toHaveLength(1);
  });

  it("records a client disconnect and aborts the upstream call", async () => {
    upstream.behaviour = { kind: "stall" };
    const controller = new AbortController();
    const pending = fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(chat()),
      signal: controller.signal,
    }).catch((error: Error) => error);
    const deadline = Date.now() + 5000;
    while (upstream.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await pending;
    const [event] = await gw.sink.waitFor(1);
    expect(event).toMatchObject({ status_code: 499, error_type: "client_disconnected" });
  });

  it("reports an unreachable upstream as a 502 OpenAI error naming the host, not the key", async () => {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: headers({ "x-portkey-custom-host": "http://127.0.0.1:1/v1" }),
      body: JSON.stringify(chat()),
    });
    expect(res.status).toBe(502);
    const body = (await res.json()) as OpenAIBody;
    expect(body.error.code).toBe("upstream_unreachable");
    expect(body.error.message).toContain("127.0.0.1:1");
    expect(JSON.stringify(body)).not.toContain("sk-provider-secret");
    expect((await gw.sink.waitFor(1))[0]?.error_type).toBe("upstream_unreachable");
  });
});

describe("requests the HTTP parser rejects", () => {
  it("still get an OpenAI-style error body", async () => {
    const { connect } = await import("node:net");
    const url = new URL(base);
    const socket = connect(Number(url.port), url.hostname);
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-portkey-config: {"a":\n 1}\r\n\r\n');
    let raw = "";
    for await (const chunk of socket) raw += String(chunk);
    expect(raw.startsWith("HTTP/1.1 400")).toBe(true);
    const body = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)) as OpenAIBody;
    expect(body.error).toMatchObject({ code: "malformed_request", type: "invalid_request_error" });
  });
});
