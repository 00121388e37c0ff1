import { sha256Hex } from "@switchyard/platform";
import type { InjectOptions } from "fastify";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { buildTestGateway } from "./test-support.ts";

const gw = buildTestGateway({ bodyLimitBytes: 64 * 1024 });
afterAll(() => gw.close());
beforeEach(() => {
  gw.sink.events.length = 0;
});

const mockHeaders = { "content-type": "application/json", "x-portkey-provider": "mock" };
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi there" }] });

describe("mock provider", () => {
  it("answers deterministically, echoing the model, with usage and cost", async () => {
    const first = await gw.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: mockHeaders,
      payload: body,
    });
    const second = await gw.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: mockHeaders,
      payload: body,
    });
    expect(first.statusCode).toBe(200);
    const a = first.json();
    expect(a.model).toBe("gpt-4o-mini");
    expect(a.choices[0].message.content).toBe(second.json().choices[0].message.content);
    expect(a.usage.prompt_tokens).toBeGreaterThan(0);
    const events = await gw.sink.waitFor(2);
    expect(events[0]?.cost_nano_usd).toBeGreaterThan(0);
  });

  it("streams", async () => {
    const res = await gw.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: mockHeaders,
      payload: JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.body).toContain("chat.completion.chunk");
    expect(res.body.trim().endsWith("data: [DONE]")).toBe(true);
    expect((await gw.sink.waitFor(1))[0]?.usage.output_tokens).toBeGreaterThan(0);
  });
});

describe("bad input gets a specific OpenAI-style error", () => {
  const cases: Array<[string, InjectOptions, number, string, string | null]> = [
    [
      "malformed JSON",
      { method: "POST", url: "/v1/chat/completions", headers: mockHeaders, payload: "{nope" },
      400,
      "invalid_json",
      null,
    ],
    [
      "wrong content type",
      {
        method: "POST",
        url: "/v1/chat/completions",
        headers: { "content-type": "text/plain", "x-portkey-provider": "mock" },
        payload: "hi",
      },
      415,
      "unsupported_media_type",
      "content-type",
    ],
    [
      "oversized body",
      {
        method: "POST",
        url: "/v1/chat/completions",
        headers: mockHeaders,
        payload: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x".repeat(100_000) }] }),
      },
      413,
      "body_too_large",
      null,
    ],
    ["unknown route", { method: "GET", url: "/v1/nope" }, 404, "not_found", null],
    [
      "missing messages",
      { method: "POST", url: "/v1/chat/completions", headers: mockHeaders, payload: JSON.stringify({ model: "m" }) },
      400,
      "invalid_request",
      "messages",
    ],
    [
      "bad metadata",
      {
        method: "POST",
        url: "/v1/chat/completions",
        headers: { ...mockHeaders, "x-portkey-metadata": "[1]" },
        payload: body,
      },
      400,
      "invalid_header",
      "x-portkey-metadata",
    ],
    [
      "unknown provider",
      {
        method: "POST",
        url: "/v1/chat/completions",
        headers: { ...mockHeaders, "x-portkey-provider": "nope" },
        payload: body,
      },
      400,
      "unknown_provider",
      "x-portkey-provider",
    ],
    [
      "custom host not a URL",
      {
        method: "POST",
        url: "/v1/chat/completions",
        headers: { ...mockHeaders, "x-portkey-provider": "openai", "x-portkey-custom-host": "not a url" },
        payload: body,
      },
      400,
      "invalid_custom_host",
      "x-portkey-custom-host",
    ],
  ];
  it.each(cases)("%s", async (_name, request, status, code, param) => {
    const res = await gw.app.inject(request);
    expect(res.statusCode).toBe(status);
    const error = res.json().error;
    expect(error.code).toBe(code);
    expect(error.param).toBe(param);
    expect(typeof error.message).toBe("string");
  });
});

describe("gateway API keys", () => {
  const keyed = buildTestGateway({
    keys: [
      { id: "key-acme", tenant_id: "acme", key_sha256: sha256Hex("sy-acme-secret"), role: "tenant", revoked: false },
      { id: "key-old", tenant_id: "acme", key_sha256: sha256Hex("sy-old-secret"), role: "tenant", revoked: true },
    ],
  });
  afterAll(() => keyed.close());
  const call = (headers: Record<string, string>) =>
    keyed.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { ...mockHeaders, ...headers },
      payload: body,
    });

  it("requires a key once keys are configured", async () => {
    const res = await call({});
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("missing_api_key");
    expect(res.headers["x-portkey-trace-id"]).toBeTruthy();
  });
  it("rejects unknown and revoked keys", async () => {
    expect((await call({ "x-portkey-api-key": "sy-wrong" })).json().error.code).toBe("invalid_api_key");
    expect((await call({ "x-portkey-api-key": "sy-old-secret" })).json().error.code).toBe("revoked_api_key");
  });
  it("maps a key (in x-portkey-api-key or Authorization) to its tenant", async () => {
    expect((await call({ "x-portkey-api-key": "sy-acme-secret" })).statusCode).toBe(200);
    expect((await call({ authorization: "Bearer sy-acme-secret" })).statusCode).toBe(200);
    const events = await keyed.sink.waitFor(2);
    expect(events.map((e) => [e.tenant_id, e.api_key_id])).toEqual([
      ["acme", "key-acme"],
      ["acme", "key-acme"],
    ]);
  });
});
