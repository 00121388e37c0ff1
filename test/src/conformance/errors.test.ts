import { PROVIDER_ADAPTERS } from "@switchyard/gateway/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UNKNOWN_MODEL } from "../fakes/provider-fake.ts";
import {
  type ConformanceStack,
  HTTP_PROVIDERS,
  PNG_DATA_URL,
  SETUPS,
  startConformanceStack,
  WEATHER_TOOL,
} from "./support.ts";

/** Error mapping and bad input, for every provider: the provider's error body → OpenAI's shape, 4xx before any call. */
let stack: ConformanceStack;
beforeAll(async () => {
  stack = await startConformanceStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.reset());

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
  provider?: string;
}

describe.each(HTTP_PROVIDERS)("%s: errors", (id) => {
  const setup = SETUPS[id];
  const caps = PROVIDER_ADAPTERS[id].capabilities;
  const passThrough = PROVIDER_ADAPTERS[id].passThroughOpenAIErrors === true;
  const chat = (extra: Record<string, unknown> = {}, leaf: Record<string, unknown> = {}) =>
    stack.post(
      "/v1/chat/completions",
      id,
      { model: setup.model, messages: [{ role: "user", content: "Hi" }], ...extra },
      { leaf },
    );

  it("a rate limit: upstream status, OpenAI error shape, provider named, rate-limit headers passed", async () => {
    stack
      .fake(id)
      .failNext(429, "Too many requests, slow down", { "retry-after": "7", "x-ratelimit-remaining-tokens": "0" });
    const res = await chat();
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(res.headers.get("x-ratelimit-remaining-tokens")).toBe("0");
    const body = (await res.json()) as ErrorBody;
    expect(body.error.message).toContain("Too many requests, slow down");
    expect(body.error.type).toBe("rate_limit_error");
    expect(body.error).toHaveProperty("param");
    expect(body.error).toHaveProperty("code");
    if (!passThrough) {
      expect(body.provider).toBe(id);
      expect(body.error.message).toMatch(new RegExp(`^${id} error: `));
    }
    const event = await stack.event();
    expect(event).toMatchObject({ provider: id, status_code: 429, cost_nano_usd: 0 });
    expect(event.error_message).toContain("slow down");
  });

  it("a server error keeps the upstream status", async () => {
    stack.fake(id).failNext(500, "upstream exploded");
    const res = await chat();
    expect(res.status).toBe(500);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.message).toContain("upstream exploded");
    expect(await stack.requestEnd()).toMatchObject({ responseId: null, finishReasons: null });
  });

  it("a model the provider rejects: its status and message, naming the model", async () => {
    const res = await chat({ model: UNKNOWN_MODEL });
    expect(res.status).toBe(404);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.message).toContain(UNKNOWN_MODEL);
    // The upstream's own type where its body names one (OpenAI-compatible hosts), else from the status.
    expect(["invalid_request_error", "not_found_error"]).toContain(body.error.type);
    expect((await stack.event()).status_code).toBe(404);
  });

  it("a streamed request the upstream refuses is a plain JSON error, not a stream", async () => {
    stack.fake(id).failNext(400, "bad things in the request");
    const res = await chat({ stream: true });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(((await res.json()) as ErrorBody).error.message).toContain("bad things in the request");
  });

  it("tools with an invalid JSON schema: 400 naming the path, before any upstream call", async () => {
    const broken = { type: "function", function: { name: "get_weather", parameters: { type: "objekt" } } };
    const res = await chat({ tools: [broken] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.param).toBe("tools.0.function.parameters.type");
    expect(stack.fake(id).calls).toHaveLength(0);
  });

  if (!caps.tools) {
    it("tools on a provider without tool calling: 400 before any upstream call", async () => {
      const res = await chat({ tools: [WEATHER_TOOL] });
      expect(res.status).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error).toMatchObject({ param: "tools", code: "unsupported_parameter" });
      expect(stack.fake(id).calls).toHaveLength(0);
    });
  }

  const imageUrl = {
    role: "user",
    content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }],
  };
  if (caps.vision && !caps.image_urls) {
    it("an image URL the provider cannot fetch: 400 naming the part, before any upstream call", async () => {
      const res = await chat({ messages: [imageUrl] });
      expect(res.status).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error).toMatchObject({ param: "messages.0.content.0.image_url", code: "unsupported_image_url" });
      expect(stack.fake(id).calls).toHaveLength(0);
    });
  }
  if (!caps.vision) {
    it("image input on a text-only provider: 400 before any upstream call", async () => {
      const res = await chat({
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: PNG_DATA_URL } }] }],
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorBody).error.code).toBe("unsupported_parameter");
      expect(stack.fake(id).calls).toHaveLength(0);
    });
  }

  for (const field of setup.requiredFields ?? []) {
    it(`a target without ${field}: 400 naming it, before any upstream call`, async () => {
      const res = await chat({}, { [field]: undefined });
      expect(res.status).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.param).toBe(field);
      expect(body.error.message).toContain(field);
      expect(stack.fake(id).calls).toHaveLength(0);
    });
  }

  it("usage is counted locally and marked estimated when the provider reports none", async () => {
    stack.fake(id).usage = null;
    const res = await chat({ messages: [{ role: "user", content: "Count these words please" }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage?: { prompt_tokens: number } };
    const event = await stack.event();
    expect(event.usage.estimated).toBe(true);
    // A body the gateway builds shows the estimate; an OpenAI-compatible body passes through as sent.
    if (body.usage) expect(body.usage.prompt_tokens).toBe(event.usage.input_tokens);
    expect(event.usage.input_tokens).toBeGreaterThan(5);
    expect(event.usage.output_tokens).toBeGreaterThan(3);
  });
});

describe("provider-independent bad input", () => {
  it("an unknown provider is a 400 listing the supported ones", async () => {
    const res = await fetch(`${stack.base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-portkey-provider": "skynet", authorization: "Bearer sk-x" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "Hi" }] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe("unknown_provider");
    expect(body.error.message).toContain("anthropic");
  });

  it("Portkey's provider slugs are accepted (together-ai, x-ai, ...)", async () => {
    const res = await fetch(`${stack.base}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer sk-test-together",
        "x-portkey-provider": "together-ai",
        "x-portkey-custom-host": stack.fake("together").baseUrl,
      },
      body: JSON.stringify({ model: SETUPS.together.model, messages: [{ role: "user", content: "Hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-portkey-provider")).toBe("together");
    expect((await stack.event()).provider).toBe("together");
  });

  it("bedrock signs with SigV4 the fake verifies by signing again", async () => {
    const { signatureMatches } = await import("../fakes/dialects/bedrock.ts");
    const res = await stack.post("/v1/chat/completions", "bedrock", {
      model: SETUPS.bedrock.model,
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(res.status).toBe(200);
    const call = stack.fake("bedrock").last!;
    expect(call.url).toBe(`/model/${encodeURIComponent(SETUPS.bedrock.model)}/converse`);
    expect(
      await signatureMatches({ url: call.url, headers: call.headers as Record<string, unknown>, raw: call.raw }),
    ).toBe(true);
  });

  it("azure-openai calls the deployment URL with api-version and an api-key header", async () => {
    const res = await stack.post("/v1/chat/completions", "azure-openai", {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(res.status).toBe(200);
    const call = stack.fake("azure-openai").last!;
    expect(call.url).toBe("/openai/deployments/dep-1/chat/completions?api-version=2024-10-21");
    expect(call.headers["api-key"]).toBe("azure-test-key");
    expect(call.headers.authorization).toBeUndefined();
  });
});
