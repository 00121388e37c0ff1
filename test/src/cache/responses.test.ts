import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicDialect } from "../fakes/dialects/anthropic.ts";
import { openAIDialect } from "../fakes/dialects/openai.ts";
import { ProviderFake } from "../fakes/provider-fake.ts";
import { cacheHarness } from "./support.ts";

/**
 * /v1/responses through the response cache: an adapted provider's answer (chat form underneath) is
 * stored and served as a Response, JSON or as Responses events; a native provider's own Response is
 * not stored (its bytes have no replay), so it always goes upstream.
 */
const { replica, call } = cacheHarness();

const viaFake = (provider: string, baseUrl: string, mode: "simple" | "semantic", apiKey: string) => ({
  "x-portkey-config": JSON.stringify({ provider, api_key: apiKey, custom_host: baseUrl, cache: { mode } }),
});
const ask = (input: string, stream = false) => ({
  model: "claude-3-5-haiku-latest",
  input,
  max_output_tokens: 64,
  ...(stream ? { stream: true } : {}),
});
/** The text a Responses event stream carried. */
const streamedText = (sse: string) =>
  sse
    .split("\n\n")
    .filter((frame) => frame.startsWith("event: response.output_text.delta"))
    .map((frame) => JSON.parse(frame.slice(frame.indexOf("data: ") + 6)).delta)
    .join("");

describe("/v1/responses adapted to Anthropic", () => {
  const fake = new ProviderFake("anthropic", anthropicDialect(), "/v1");
  const { gw } = replica(null, "");
  beforeAll(() => fake.start());
  afterAll(async () => {
    await gw.close();
    await fake.stop();
  });
  const headers = (mode: "simple" | "semantic") => viaFake("anthropic", fake.baseUrl, mode, "sk-ant-test");

  it("serves a stored answer as a Response, JSON or streamed, and a paraphrase in semantic mode", async () => {
    const first = await call(gw, ask("What is the capital of France?"), headers("semantic"), "/v1/responses");
    expect([first.res.statusCode, first.status]).toEqual([200, "SEMANTIC MISS"]);
    const response = first.res.json();
    expect(response.object).toBe("response");

    const again = await call(gw, ask("What is the capital of France?"), headers("semantic"), "/v1/responses");
    expect(again.status).toBe("HIT");
    expect(again.res.json().output).toEqual(response.output);

    const streamed = await call(gw, ask("What is the capital of France?", true), headers("semantic"), "/v1/responses");
    expect(streamed.status).toBe("HIT");
    expect(streamed.res.body).toMatch(/^event: response\.created\n/);
    expect(streamed.res.body).toContain("event: response.completed");
    expect(streamedText(streamed.res.body)).toBe(response.output_text ?? response.output[0].content[0].text);

    const paraphrase = await call(gw, ask("Tell me France's capital"), headers("semantic"), "/v1/responses");
    expect(paraphrase.status).toBe("SEMANTIC HIT");
    expect(fake.calls.length).toBe(1);
  });
});

describe("/v1/responses to a native provider", () => {
  const fake = new ProviderFake("openai", openAIDialect({ responses: true }), "/v1");
  const { gw } = replica(null, "");
  beforeAll(() => fake.start());
  afterAll(async () => {
    await gw.close();
    await fake.stop();
  });

  it("is looked up but never stored: the provider's own Response bytes go to the client as they came", async () => {
    const body = { ...ask("native responses"), model: "gpt-4o-mini" };
    const headers = viaFake("openai", fake.baseUrl, "simple", "sk-fake");
    for (const stream of [false, true, false]) {
      const r = await call(gw, { ...body, ...(stream ? { stream: true } : {}) }, headers, "/v1/responses");
      expect([r.res.statusCode, r.status]).toEqual([200, "MISS"]);
    }
    expect(fake.calls.length).toBe(3);
  });
});
