import { cacheStage, type ResponseCache } from "@switchyard/gateway/testing";

/**
 * A semantic lookup exactly as the gateway runs it: the cache attempt stage (`pipeline/stages/cache.ts`)
 * over a chat request whose last message is the prompt, in semantic mode — the policy, the key (the
 * canonical body's SHA-256), the exact lookup, the embedded text and its partition, the embedding,
 * the nearest neighbour and the answer's fetch, up to the hit reply (or the call of the next stage on
 * a miss). What it leaves out is the request around it (HTTP, auth, routing, the event). The stage's
 * own telemetry span is off (no tracer), as in the gateway without tracing.
 */
type Stage = ReturnType<typeof cacheStage>;
type Attempt = Parameters<Stage["run"]>[0];
type Reply = Awaited<ReturnType<Stage["run"]>>;

const failed = (): Reply =>
  ({
    kind: "json",
    result: {
      status: 500,
      headers: {},
      body: Buffer.from("{}"),
      usage: null,
      model: null,
      failure: { kind: "upstream", message: "bench" },
      responseId: null,
      finishReasons: null,
    },
  }) as unknown as Reply;

const answered = (): Reply =>
  ({
    kind: "json",
    result: {
      status: 200,
      headers: {},
      body: Buffer.from("{}"),
      usage: null,
      model: "m",
      failure: null,
      responseId: "r",
      finishReasons: ["stop"],
    },
  }) as unknown as Reply;

export interface StageLookup {
  /** Stores `text`'s answer through the stage (a forced refresh whose upstream answers 200): the bench's entries. */
  store(text: string): Promise<string | null>;
  /**
   * One lookup, timed from the stage's start to its hit reply or its call of the next stage (a miss);
   * `searchStarted` is when it asked for the nearest neighbour (null: it did not).
   */
  lookup(
    text: string,
  ): Promise<{ status: string | null; started: number; searchStarted: number | null; ended: number }>;
}

export function stageLookup(cache: ResponseCache, maxAgeSeconds = 3600): StageLookup {
  const stage = cacheStage(cache, []);
  let searchStarted: number | null = null;
  // When the search begins, for the bench's search + fetch split (one closure, outside the stage).
  const nearest = cache.nearest.bind(cache);
  cache.nearest = (...args) => {
    searchStarted = performance.now();
    return nearest(...args);
  };
  const attempt = (text: string, headers: Record<string, string>) =>
    ({
      request: {
        endpoint: { endpoint: "/v1/chat/completions", describe: () => ({ stream: false }) },
        headers,
        principal: { tenantId: "bench" },
        metadata: {},
        outcome: { cacheStatus: null, cacheKey: null, costSavedNanoUsd: 0, statusCode: 200, errorType: null },
        responseHeaders: {},
        telemetry: null,
        finishers: [],
      },
      leaf: { cache: { mode: "semantic", maxAgeSeconds, similarityThreshold: null } },
      prepared: { providerId: "openai" },
      provider: {},
      body: { model: "gpt-4o-mini", temperature: 0, messages: [{ role: "user", content: text }] },
      model: "gpt-4o-mini",
      retry: 0,
      target: { customHost: null, providerFields: {} },
      signal: new AbortController().signal,
    }) as unknown as Attempt;
  const status = (a: Attempt) => (a.request.outcome as { cacheStatus: string | null }).cacheStatus;
  const refresh = { "x-portkey-cache-force-refresh": "true" };
  return {
    async store(text) {
      const a = attempt(text, refresh);
      await stage.run(a, async () => answered());
      return status(a);
    },
    async lookup(text) {
      const a = attempt(text, {});
      searchStarted = null;
      let ended = 0;
      const started = performance.now();
      await stage.run(a, async () => {
        ended = performance.now();
        return failed();
      });
      if (ended === 0) ended = performance.now();
      return { status: status(a), started, searchStarted, ended };
    },
  };
}
