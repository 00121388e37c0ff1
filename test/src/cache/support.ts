import { randomUUID } from "node:crypto";
import {
  buildTestGateway,
  DEFAULT_CACHE_SETTINGS,
  type minilmEmbedder,
  ResponseCache,
} from "@switchyard/gateway/testing";
import { createLogger, type Meter } from "@switchyard/platform";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";

type GatewayOptions = NonNullable<Parameters<typeof buildTestGateway>[0]>;
export type TestGateway = ReturnType<typeof buildTestGateway>;

export interface ReplicaOptions {
  keys?: GatewayOptions["keys"];
  telemetry?: GatewayOptions["telemetry"];
  embedder?: ReturnType<typeof minilmEmbedder>;
  /** Where the cache's own metrics go (store errors, sizes). */
  meter?: Meter;
}

/**
 * The response cache in the request path, for one test file: a fake OpenAI upstream counting the calls
 * that reach it (started before the file's tests, reset before each), and in-process gateways
 * ("replicas") each with a cache of its own — in-process, or shared with the others through a real
 * Redis under a key prefix of the test's own. Call at a file's top level (it registers vitest hooks).
 */
export function cacheHarness() {
  const logger = createLogger({ name: "cache-test", level: "silent" });
  const upstream = new FakeOpenAIUpstream({ name: "cache" });
  const caches: ResponseCache[] = [];
  beforeAll(() => upstream.start());
  afterAll(async () => {
    for (const cache of caches) await cache.close();
    await upstream.stop();
  });
  beforeEach(() => {
    upstream.reset();
  });

  function replica(redisUrl: string | null, prefix: string, options: ReplicaOptions = {}) {
    const cache = new ResponseCache(
      {
        ...DEFAULT_CACHE_SETTINGS,
        redis: redisUrl === null ? null : { url: redisUrl, prefix, commandTimeoutMs: 500, feedMaxLen: 1000 },
      },
      {
        logger,
        ...(options.embedder ? { embedder: options.embedder } : {}),
        ...(options.meter ? { meter: options.meter } : {}),
      },
    );
    caches.push(cache);
    const gw = buildTestGateway({
      ...(options.keys ? { keys: options.keys } : {}),
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
      cache,
    });
    return { gw, cache };
  }

  /** A config sending to the fake OpenAI upstream with this cache setting. */
  const config = (cache: object) =>
    JSON.stringify({ provider: "openai", api_key: "sk-cache-test", custom_host: upstream.baseUrl, cache });

  /** One request (a simple-cache config unless the headers give another); its response and cache status. */
  async function call(
    gw: TestGateway,
    body: object,
    headers: Record<string, string> = {},
    url = "/v1/chat/completions",
  ) {
    const res = await gw.app.inject({
      method: "POST",
      url,
      headers: { "content-type": "application/json", "x-portkey-config": config({ mode: "simple" }), ...headers },
      payload: JSON.stringify(body),
    });
    return { res, status: res.headers["x-portkey-cache-status"] };
  }

  return { upstream, replica, config, call };
}

export const chat = (content: string, extra: object = {}) => ({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content }],
  ...extra,
});

/** A Redis key prefix no other test or run shares. */
export const prefix = () => `switchyard:test:cache:${randomUUID()}:`;
