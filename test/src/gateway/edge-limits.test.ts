import { describe, expect, it } from "vitest";
import { upstreamAndGateway } from "./upstream-and-gateway.ts";

/**
 * Issue 10 §2 and §5 at the HTTP edge: each finding value is a 400 naming the field, made before
 * any upstream call (the fake's counter stays at 0) — never a served request whose event is then
 * dropped, never a 500/502.
 */
const { upstream, gw } = upstreamAndGateway("bystander");

const messages = [{ role: "user", content: "hi" }];
const target = (extra: Record<string, unknown> = {}) => ({
  provider: "openai",
  api_key: "sk-bystander",
  custom_host: upstream.baseUrl,
  ...extra,
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await gw.app.inject({
    method: "POST",
    url,
    headers: { "content-type": "application/json", ...headers },
    payload: typeof body === "string" ? body : JSON.stringify(body),
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    error: res.json().error as { message: string; param: string | null; code: string },
  };
}

const configHeader = (config: unknown) => ({ "x-portkey-config": JSON.stringify(config) });

describe("override_params with the wrong type (served, then the event was dropped)", () => {
  const FINDINGS: [string, unknown][] = [
    ["123", 123],
    ["true", true],
    ['["a"]', ["a"]],
    ['{"x":1}', { x: 1 }],
  ];
  const endpoints = [
    ["/v1/chat/completions", { model: "gpt-4o-mini", messages }],
    ["/v1/embeddings", { model: "text-embedding-3-small", input: "hi" }],
  ] as const;

  for (const [url, body] of endpoints) {
    it.each(FINDINGS)(`${url}: model %s → 400 naming targets[0].override_params.model`, async (_label, model) => {
      const config = { strategy: { mode: "fallback" }, targets: [target({ override_params: { model } })] };
      const { status, error } = await post(url, body, configHeader(config));
      expect(status).toBe(400);
      expect(error.code).toBe("invalid_config");
      expect(error.message).toContain("targets[0].override_params.model");
      expect(upstream.received).toBe(0);
    });
  }

  it("other overrides too: temperature as a string", async () => {
    const config = { strategy: { mode: "single" }, targets: [target({ override_params: { temperature: "hot" } })] };
    const { status, error } = await post("/v1/chat/completions", { model: "m", messages }, configHeader(config));
    expect(status).toBe(400);
    expect(error.message).toContain("targets[0].override_params.temperature");
  });
});

describe("bounded everything a client controls", () => {
  it("a 150-target fallback is refused, not tried 150 times", async () => {
    const config = { strategy: { mode: "fallback" }, targets: Array.from({ length: 150 }, () => target()) };
    const { status, error } = await post("/v1/chat/completions", { model: "m", messages }, configHeader(config));
    expect(status).toBe(400);
    expect(error.code).toBe("invalid_config");
    expect(error.message).toContain("at most 64 targets");
    expect(upstream.received).toBe(0);
  });

  it("a 257-character model name → 400 naming model", async () => {
    const direct = { "x-portkey-provider": "openai", "x-portkey-custom-host": upstream.baseUrl };
    const { status, error } = await post("/v1/chat/completions", { model: "m".repeat(257), messages }, direct);
    expect(status).toBe(400);
    expect(error.param).toBe("model");
    expect(upstream.received).toBe(0);
  });

  it("a tool schema nested past 32 levels → 400 naming its path (10,000 levels was a RangeError 500/502)", async () => {
    for (const levels of [40, 10_000]) {
      // Written as text: JSON.stringify itself overflows the stack on 10,000 levels.
      const schema = `${'{"type":"object","properties":{"a":'.repeat(levels)}{"type":"string"}${"}}".repeat(levels)}`;
      const body = `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${schema}}}]}`;
      const { status, error } = await post("/v1/chat/completions", body, { "x-portkey-provider": "mock" });
      expect(status).toBe(400);
      if (levels === 40) expect(error.param).toMatch(/^tools\.0\.function\.parameters(\.properties\.a){32}$/);
    }
    expect(upstream.received).toBe(0);
  });

  it("metadata values past Portkey's 128 characters, and over-long trace ids → 400 naming the header", async () => {
    const metadata = { "x-portkey-provider": "mock", "x-portkey-metadata": JSON.stringify({ team: "t".repeat(129) }) };
    const long = await post("/v1/chat/completions", { model: "m", messages }, metadata);
    expect(long).toMatchObject({ status: 400, error: { code: "invalid_header", param: "x-portkey-metadata" } });
    expect(long.error.message).toContain("x-portkey-metadata.team");
    const trace = { "x-portkey-provider": "mock", "x-portkey-trace-id": "t".repeat(257) };
    const traced = await post("/v1/chat/completions", { model: "m", messages }, trace);
    expect(traced).toMatchObject({ status: 400, error: { code: "invalid_header", param: "x-portkey-trace-id" } });
    // Refused after admission: the answer still carries a (generated) trace id, and the refusal is recorded.
    expect(traced.headers["x-portkey-trace-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
