import { randomUUID } from "node:crypto";
import { Portkey } from "portkey-ai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import { type CompatStack, chatParams, fakeTarget, HELLO, portkeyHeadersOf, startCompatStack } from "./support.ts";

/**
 * The response cache through the unmodified portkey-ai SDK, as Portkey's docs show it: `config.cache`,
 * `cacheForceRefresh`, `cacheNamespace`, the cache status read with `getHeaders()`. Two gateways
 * (`npm start`-style stacks) share the machine's Redis under a key prefix of this run's own.
 */
describe("response cache via the portkey-ai SDK, two replicas on one Redis", () => {
  const upstream = new FakeOpenAIUpstream({ name: "cache-sdk" });
  let one: CompatStack;
  let two: CompatStack;

  beforeAll(async () => {
    await upstream.start();
    const env = {
      REDIS_URL: "redis://127.0.0.1:6379",
      SWITCHYARD_CACHE_REDIS_PREFIX: `switchyard:test:sdk:${randomUUID()}:`,
    };
    [one, two] = await Promise.all([startCompatStack({ env }), startCompatStack({ env })]);
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await upstream.stop();
  });
  beforeEach(() => {
    upstream.reset();
  });

  const target = () => fakeTarget(upstream);
  const client = (stack: CompatStack, cache: object, options: ConstructorParameters<typeof Portkey>[0] = {}) =>
    new Portkey({
      baseURL: `${stack.gatewayUrl}/v1`,
      apiKey: "pk-local",
      config: { ...sharedTarget, cache },
      ...options,
    });
  let sharedTarget: Record<string, unknown> = {};
  beforeAll(() => {
    sharedTarget = target();
  });

  it("simple: the second identical call, on the other replica, is a HIT with the same answer", async () => {
    const first = await client(one, { mode: "simple", max_age: 3600 }).chat.completions.create(
      chatParams("sdk simple"),
    );
    expect(portkeyHeadersOf(first)["cache-status"]).toBe("MISS");
    const second = await client(two, { mode: "simple", max_age: 3600 }).chat.completions.create(
      chatParams("sdk simple"),
    );
    expect(portkeyHeadersOf(second)["cache-status"]).toBe("HIT");
    expect(second.choices[0]?.message?.content).toBe(HELLO);
    expect(second.id).toBe(first.id);
    expect(upstream.received).toBe(1);
  });

  it("cacheForceRefresh: true calls upstream (REFRESH); false does not; cacheNamespace partitions", async () => {
    const cache = { mode: "simple" };
    await client(one, cache).chat.completions.create(chatParams("sdk refresh"));
    const notForced = await client(one, cache, { cacheForceRefresh: false }).chat.completions.create(
      chatParams("sdk refresh"),
    );
    expect(portkeyHeadersOf(notForced)["cache-status"]).toBe("HIT");
    const forced = await client(two, cache, { cacheForceRefresh: true }).chat.completions.create(
      chatParams("sdk refresh"),
    );
    expect(portkeyHeadersOf(forced)["cache-status"]).toBe("REFRESH");
    expect(upstream.received).toBe(2);
    const ns = await client(one, cache, { cacheNamespace: "team-x" }).chat.completions.create(
      chatParams("sdk refresh"),
    );
    expect(portkeyHeadersOf(ns)["cache-status"]).toBe("MISS");
    const nsAgain = await client(two, cache, { cacheNamespace: "team-x" }).chat.completions.create(
      chatParams("sdk refresh"),
    );
    expect(portkeyHeadersOf(nsAgain)["cache-status"]).toBe("HIT");
  });

  it("semantic: a paraphrase is a SEMANTIC HIT; another country and an unrelated question miss", async () => {
    const semantic = client(one, { mode: "semantic" });
    const ask = async (content: string) =>
      portkeyHeadersOf(await semantic.chat.completions.create(chatParams(content)))["cache-status"];
    expect(await ask("What is the capital of France?")).toBe("SEMANTIC MISS");
    expect(await ask("Tell me France's capital")).toBe("SEMANTIC HIT");
    expect(await ask("What is the capital of Germany?")).toBe("SEMANTIC MISS");
    expect(await ask("How do I bake bread?")).toBe("SEMANTIC MISS");
    expect(upstream.received).toBe(3);
  });

  it("a streamed call is served from the answer a JSON call stored", async () => {
    await client(one, { mode: "simple" }).chat.completions.create(chatParams("sdk stream"));
    const stream = await client(two, { mode: "simple" }).chat.completions.create({
      ...chatParams("sdk stream"),
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe(HELLO);
    expect(upstream.received).toBe(1);
  });

  it("bad cache input is a 400 naming the field, before any upstream call", async () => {
    const post = (config: object, headers: Record<string, string> = {}) =>
      fetch(`${one.gatewayUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-portkey-config": JSON.stringify(config), ...headers },
        body: JSON.stringify(chatParams("bad")),
      });
    const cases: [object, Record<string, string>, string][] = [
      [{ ...sharedTarget, cache: { mode: "simple", max_age: 10 } }, {}, "cache.max_age"],
      [{ ...sharedTarget, cache: { mode: "simple", max_age: 7_776_001 } }, {}, "cache.max_age"],
      [{ ...sharedTarget, cache: { mode: "simple", ttl: 60 } }, {}, "cache.ttl"],
      [{ ...sharedTarget, cache: { mode: "fuzzy" } }, {}, "cache.mode"],
      [{ ...sharedTarget, cache: { mode: "semantic", similarity_threshold: 2 } }, {}, "cache.similarity_threshold"],
      [
        { ...sharedTarget, cache: { mode: "simple" } },
        { "x-portkey-cache-namespace": "n".repeat(257) },
        "x-portkey-cache-namespace",
      ],
    ];
    for (const [config, headers, param] of cases) {
      const res = await post(config, headers);
      expect(res.status, param).toBe(400);
      const body = (await res.json()) as { error: { param: string; message: string } };
      // Config errors carry the header as `param` and name the field's path in the message (as every config error does).
      expect(`${body.error.param} ${body.error.message}`, JSON.stringify(body)).toContain(param);
      if (param.startsWith("cache.")) expect(body.error.param).toBe("x-portkey-config");
    }
    expect(upstream.received).toBe(0);
  });
});
