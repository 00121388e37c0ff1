import { Scopes } from "@switchyard/platform";
import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort, pollUntil, RedisProcess, redisCli } from "./redis-process.ts";
import { cacheHarness, chat, prefix } from "./support.ts";

/**
 * The response cache shared by replicas through a real Redis (the machine's on 6379, a fresh key
 * prefix per describe; a redis-server of this file's own for the outage): simple and semantic hits
 * across replicas, streams both ways, what is never stored, Redis going away and coming back.
 */
const { upstream, replica, config, call } = cacheHarness();

describe("simple cache through Redis, two replicas", () => {
  const p = prefix();
  const a = replica("redis://127.0.0.1:6379", p);
  const b = replica("redis://127.0.0.1:6379", p);
  afterAll(async () => {
    await a.gw.close();
    await b.gw.close();
  });
  beforeEach(() => {
    a.gw.sink.events.length = 0;
    b.gw.sink.events.length = 0;
  });

  it("a repeat on the other replica is a HIT; the event has the key hash, cost 0 and the cost saved", async () => {
    const first = await call(a.gw, chat("repeat me"));
    expect(first.status).toBe("MISS");
    const second = await call(b.gw, chat("repeat me"));
    expect(second.status).toBe("HIT");
    expect(second.res.json()).toEqual(first.res.json());
    expect(upstream.received).toBe(1);
    const [miss] = await a.gw.sink.waitFor(1);
    const [hit] = await b.gw.sink.waitFor(1);
    expect(miss?.cache_status).toBe("MISS");
    expect(miss?.cost_nano_usd).toBeGreaterThan(0);
    expect(hit).toMatchObject({ cache_status: "HIT", cost_nano_usd: 0, cache_key: miss?.cache_key });
    expect(hit?.cache_key).toMatch(/^[0-9a-f]{64}$/);
    expect(hit?.cost_saved_nano_usd).toBe(miss?.cost_nano_usd);
  });

  it("force refresh (the value true, not the header's presence) calls upstream and stores; a namespace partitions", async () => {
    await call(a.gw, chat("refresh me"));
    expect((await call(a.gw, chat("refresh me"), { "x-portkey-cache-force-refresh": "false" })).status).toBe("HIT");
    expect((await call(b.gw, chat("refresh me"), { "x-portkey-cache-force-refresh": "true" })).status).toBe("REFRESH");
    expect(upstream.received).toBe(2);
    expect((await call(a.gw, chat("refresh me"), { "x-portkey-cache-namespace": "ns-1" })).status).toBe("MISS");
    expect((await call(b.gw, chat("refresh me"), { "x-portkey-cache-namespace": "ns-1" })).status).toBe("HIT");
    expect((await call(b.gw, chat("refresh me"), { "x-portkey-metadata": '{"team":"x"}' })).status).toBe("MISS");
  });

  it("a stored JSON answer serves a streamed request as SSE, and a stored stream serves JSON", async () => {
    const json = await call(a.gw, chat("json first"));
    const streamed = await call(b.gw, chat("json first", { stream: true, stream_options: { include_usage: true } }));
    expect(streamed.status).toBe("HIT");
    expect(streamed.res.headers["content-type"]).toContain("text/event-stream");
    const events = streamed.res.body.split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    const text = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.slice(6)))
      .map((c) => c.choices[0]?.delta?.content ?? "")
      .join("");
    expect(text).toBe(json.res.json().choices[0].message.content);
    expect(JSON.parse(events.at(-2)!.slice(6)).usage.total_tokens).toBeGreaterThan(0);
    // A streamed hit bills nothing either: zero usage recorded, cost 0, the saving recorded.
    const [streamedHit] = await b.gw.sink.waitFor(1);
    expect(streamedHit).toMatchObject({ cache_status: "HIT", stream: true, cost_nano_usd: 0 });
    expect(streamedHit?.usage.input_tokens).toBe(0);
    expect(streamedHit?.cost_saved_nano_usd).toBeGreaterThan(0);

    const firstStream = await call(a.gw, chat("stream first", { stream: true }));
    expect(firstStream.status).toBe("MISS");
    const asJson = await call(b.gw, chat("stream first"));
    expect(asJson.status).toBe("HIT");
    expect(asJson.res.json()).toMatchObject({
      object: "chat.completion",
      choices: [{ message: { role: "assistant" } }],
    });
    expect(upstream.received).toBe(2);
  });

  it("/v1/messages: a hit on a stream is served as Anthropic events", async () => {
    const body = { model: "gpt-4o-mini", max_tokens: 64, messages: [{ role: "user", content: "anthropic please" }] };
    expect((await call(a.gw, body, {}, "/v1/messages")).status).toBe("MISS");
    const hit = await call(b.gw, { ...body, stream: true }, {}, "/v1/messages");
    expect(hit.status).toBe("HIT");
    expect(hit.res.body).toMatch(/^event: message_start\n/);
    expect(hit.res.body).toContain("event: message_stop");
    expect(upstream.received).toBe(1);
  });

  it("a stored entry that fails to decode is dropped and taken as a miss", async () => {
    await call(a.gw, chat("corrupt me"));
    const [stored] = await a.gw.sink.waitFor(1);
    await redisCli(6379, "SET", `${p}answer:${stored?.cache_key}`, "{not an answer");
    const corrupt = await call(b.gw, chat("corrupt me"));
    expect([corrupt.res.statusCode, corrupt.status]).toEqual([200, "MISS"]);
    expect((await call(a.gw, chat("corrupt me"))).status).toBe("HIT");
    expect(upstream.received).toBe(2);
  });

  it("errors and cut streams are never stored", async () => {
    upstream.failNext(1, { status: 500 });
    expect((await call(a.gw, chat("fails once"))).res.statusCode).toBe(500);
    expect((await call(a.gw, chat("fails once"))).status).toBe("MISS");
    upstream.script.push({ kind: "cut-stream", afterChunks: 2 });
    await call(a.gw, chat("cut once", { stream: true }));
    expect((await call(a.gw, chat("cut once"))).status).toBe("MISS");
    expect(upstream.received).toBe(4);
  });
});

describe("semantic cache", () => {
  const p = prefix();
  const a = replica("redis://127.0.0.1:6379", p);
  const b = replica("redis://127.0.0.1:6379", p);
  afterAll(async () => {
    await a.gw.close();
    await b.gw.close();
  });
  const semantic = () => ({ "x-portkey-config": config({ mode: "semantic" }) });

  it("a paraphrase hits on the other replica once the entry propagated; a near miss and an unrelated question miss", async () => {
    expect((await call(a.gw, chat("What is the capital of France?"), semantic())).status).toBe("SEMANTIC MISS");
    expect((await call(a.gw, chat("What is the capital of France?"), semantic())).status).toBe("HIT");
    await pollUntil(() => b.cache.semanticEntries() >= 1, "the semantic entry to reach replica b");
    const paraphrase = await call(b.gw, chat("Tell me France's capital"), semantic());
    expect(paraphrase.status).toBe("SEMANTIC HIT");
    expect(upstream.received).toBe(1);
    const [event] = await b.gw.sink.waitFor(1);
    expect(event).toMatchObject({ cache_status: "SEMANTIC HIT", cost_nano_usd: 0 });
    expect(event?.cost_saved_nano_usd).toBeGreaterThan(0);
    expect((await call(a.gw, chat("What is the capital of Germany?"), semantic())).status).toBe("SEMANTIC MISS");
    expect((await call(a.gw, chat("How do I bake bread?"), semantic())).status).toBe("SEMANTIC MISS");
    expect(upstream.received).toBe(3);
  });

  it("a different system prompt never shares an answer", async () => {
    const withSystem = (system: string, content: string) =>
      chat(content, {
        messages: [
          { role: "system", content: system },
          { role: "user", content },
        ],
      });
    await call(a.gw, withSystem("Answer in French.", "What is the capital of Italy?"), semantic());
    expect((await call(a.gw, withSystem("Answer in French.", "Tell me Italy's capital"), semantic())).status).toBe(
      "SEMANTIC HIT",
    );
    expect((await call(a.gw, withSystem("Answer in German.", "Tell me Italy's capital"), semantic())).status).toBe(
      "SEMANTIC MISS",
    );
  });
});

describe("Redis killed mid-test", () => {
  let redis: RedisProcess;
  let node: ReturnType<typeof replica>;
  const mem = inMemoryTelemetry();
  const storeErrors = async () => {
    const metrics = (await mem.metrics()).scopeMetrics.flatMap((scope) => scope.metrics);
    const metric = metrics.find((m) => m.descriptor.name === "switchyard.gateway.cache.store_errors");
    return Number(metric?.dataPoints[0]?.value ?? 0);
  };
  beforeAll(async () => {
    redis = new RedisProcess(await freePort());
    await redis.start();
    node = replica(redis.url, prefix(), { meter: mem.telemetry.meter(Scopes.gateway) });
  });
  afterAll(async () => {
    await node.gw.close();
    await redis.kill();
  });

  it("a gateway whose Redis never answered serves uncached from the first request", async () => {
    const nowhere = replica(`redis://127.0.0.1:${await freePort()}`, prefix());
    try {
      for (let i = 0; i < 2; i++) {
        const { res, status } = await call(nowhere.gw, chat("no redis"));
        expect([res.statusCode, status]).toEqual([200, "MISS"]);
      }
    } finally {
      await nowhere.gw.close();
    }
  });

  it("serves uncached (MISS, never a 5xx) while Redis is down, and caches again once it is back", async () => {
    await call(node.gw, chat("outage"));
    expect((await call(node.gw, chat("outage"))).status).toBe("HIT");
    expect(await storeErrors()).toBe(0);
    await redis.kill();
    const during = await call(node.gw, chat("outage"));
    expect(during.res.statusCode).toBe(200);
    expect(during.status).toBe("MISS");
    expect(await storeErrors()).toBeGreaterThan(0);
    await redis.start();
    // The client reconnects by itself: a fresh Redis is empty, so the first stored answer then hits.
    await pollUntil(async () => (await call(node.gw, chat("after outage"))).status === "HIT", "caching to resume");
  });
});
