import { PROVIDER_ADAPTERS } from "@switchyard/gateway/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type ConformanceStack,
  factsDisagreeingWithData,
  HTTP_PROVIDERS,
  readSse,
  SETUPS,
  startConformanceStack,
} from "./support.ts";

/** /v1/embeddings and /v1/completions where a provider offers them (a 400 before any call where not), /v1/models. */
let stack: ConformanceStack;
beforeAll(async () => {
  // Traced: a stream's span says what its chunks told telemetry.
  stack = await startConformanceStack({ tracing: true });
});
afterAll(() => stack.close());
beforeEach(() => stack.reset());

describe.each(HTTP_PROVIDERS)("%s: /v1/embeddings and /v1/completions", (id) => {
  const caps = PROVIDER_ADAPTERS[id].capabilities;
  const model = SETUPS[id].model;

  if (caps.embeddings) {
    it("embeds a batch: OpenAI list shape, one event for /v1/embeddings", async () => {
      const res = await stack.post("/v1/embeddings", id, { model, input: ["hello", "world"] });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { object: string; data: Array<{ index: number; embedding: number[] }> };
      expect(body.object).toBe("list");
      expect(body.data.map((d) => d.index)).toEqual([0, 1]);
      expect(body.data[0]?.embedding).toEqual([0.1, 0.2, 0.3]);
      const event = await stack.event();
      expect(event).toMatchObject({
        endpoint: "/v1/embeddings",
        provider: id,
        status_code: 200,
        model_requested: model,
      });
      expect(event.usage.input_tokens).toBeGreaterThan(0);
      // An embeddings list has no id and no finish reasons, known as such: telemetry need not look.
      expect(await stack.requestEnd()).toMatchObject({ responseId: "", finishReasons: [] });
    });
  } else {
    it("refuses /v1/embeddings with a 400 before any upstream call", async () => {
      const res = await stack.post("/v1/embeddings", id, { model, input: "hello" });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { message: string; param: string } };
      expect(body.error.message).toContain(`provider ${id} does not offer /v1/embeddings`);
      expect(stack.fake(id).calls).toHaveLength(0);
      expect((await stack.event()).endpoint).toBe("/v1/embeddings");
    });
  }

  if (caps.completions) {
    it("legacy completions, plain and streamed", async () => {
      const res = await stack.post("/v1/completions", id, { model, prompt: "Once" });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { id: string; object: string; choices: Array<{ text: string }> };
      expect(body).toMatchObject({ object: "text_completion" });
      expect(body.choices[0]?.text).toBe("Once upon a time.");
      expect((await stack.event()).usage.input_tokens).toBe(42);
      expect(await stack.requestEnd()).toMatchObject({ responseId: body.id, finishReasons: ["stop"] });
      stack.reset();
      const streamed = await readSse(await stack.post("/v1/completions", id, { model, prompt: "Once", stream: true }));
      expect(streamed.done).toBe(true);
      expect(streamed.events.map((e) => (e.choices as Array<{ text: string }>)[0]?.text ?? "").join("")).toBe(
        "Once upon a time.",
      );
      const event = await stack.event();
      expect(event).toMatchObject({ endpoint: "/v1/completions", stream: true, status_code: 200 });
      expect(event.usage.output_tokens).toBeGreaterThan(0);
      // text_completion chunks hand telemetry their id and finish reasons like chat chunks.
      expect(factsDisagreeingWithData(stack.streamed())).toEqual([]);
      expect(await stack.requestSpan()).toMatchObject({
        "gen_ai.response.id": streamed.events[0]?.id,
        "gen_ai.response.finish_reasons": ["stop"],
      });
    });
  } else {
    it("refuses /v1/completions with a 400 before any upstream call", async () => {
      const res = await stack.post("/v1/completions", id, { model, prompt: "Once" });
      expect(res.status).toBe(400);
      expect(stack.fake(id).calls).toHaveLength(0);
    });
  }
});

describe("/v1/models", () => {
  const list = async (headers: Record<string, string>) => {
    const res = await fetch(`${stack.base}/v1/models`, { headers });
    expect(res.status).toBe(200);
    return (await res.json()) as { object: string; data: Array<{ id: string; owned_by: string; provider: string }> };
  };

  it("lists the default provider's models when nothing names a provider", async () => {
    const body = await list({});
    expect(body.object).toBe("list");
    expect(body.data.every((m) => m.provider === "openai")).toBe(true);
    expect(body.data.map((m) => m.id)).toContain("gpt-4o-mini");
  });

  it("lists the models of every provider a config routes to", async () => {
    const config = {
      strategy: { mode: "fallback" },
      targets: [
        { provider: "anthropic", api_key: "k" },
        { provider: "azure-openai", api_key: "k", resource_name: "r", deployment_id: "my-deployment" },
      ],
    };
    const body = await list({ "x-portkey-config": JSON.stringify(config) });
    const providers = new Set(body.data.map((m) => m.provider));
    expect(providers).toEqual(new Set(["anthropic", "azure-openai"]));
    expect(body.data.map((m) => m.id)).toContain("my-deployment");
    expect(body.data.find((m) => m.provider === "anthropic")?.owned_by).toBe("anthropic");
  });
});
