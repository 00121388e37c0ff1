import { type PriceOverride, priceUsage, type Usage } from "@switchyard/events";
import { answerFromResult, formatOf, resultFromAnswer, type StoredAnswer } from "../../cache/answer.ts";
import { cacheKey, type KeyParts, semanticPartition } from "../../cache/cache-key.ts";
import {
  type EmbeddingTargetDeps,
  type RemoteEmbedding,
  resolveEmbeddingTarget,
} from "../../cache/embedding-target.ts";
import { type AttemptCachePolicy, attemptPolicy } from "../../cache/policy.ts";
import type { ResponseCache } from "../../cache/response-cache.ts";
import { semanticQuery } from "../../cache/semantic-query.ts";
import { StreamAssembler } from "../../cache/stream-assemble.ts";
import { replayChunks } from "../../cache/stream-replay.ts";
import type { StreamChunk } from "../../providers/provider.ts";
import { jsonReply, type Reply, type StreamReply, transformStream } from "../reply.ts";
import type { AttemptContext, AttemptStage } from "../stage.ts";

/** A streamed answer larger than this is relayed but not stored. */
const MAX_STORED_STREAM_BYTES = 4 * 1024 * 1024;

/**
 * Attempt-level response cache (cache/README.md). Runs inside each attempt whose leaf has a `cache`
 * config (target wins over top level), after the guardrails and before the provider call: a hit
 * answers without calling the provider; a miss calls it and stores a complete 2xx answer.
 * Writes: outcome.cacheStatus/cacheKey/costSavedNanoUsd, the x-portkey-cache-status header.
 */
export function cacheStage(
  cache: ResponseCache,
  priceOverrides: readonly PriceOverride[],
  /** What a `cache.embedding` target is resolved with; without it such a config gets the exact lookup only. */
  embeddingTargets?: EmbeddingTargetDeps,
): AttemptStage {
  return {
    name: "cache",
    async run(a, next) {
      const leafPolicy = a.leaf.cache;
      if (leafPolicy === null) return next();
      const ctx = a.request;
      const endpoint = ctx.endpoint.endpoint;
      const wantsStream = ctx.endpoint.describe(a.body).stream;
      const policy = attemptPolicy(leafPolicy, ctx.headers, cache.settings.similarityThreshold);
      const body = ctx.endpoint.params ? ctx.endpoint.params(a.body) : a.body;
      const parts: KeyParts = {
        tenant: ctx.principal.tenantId,
        namespace: policy.namespace,
        metadata: ctx.metadata,
        endpoint,
        provider: a.prepared.providerId,
        model: a.model,
        customHost: a.target.customHost,
        providerFields: a.target.providerFields,
        body,
      };
      // A `cache.embedding` target is checked before any lookup or upstream call: a bad one is a 400.
      let remote: RemoteEmbedding | null | undefined;
      if (policy.mode === "semantic" && leafPolicy.embedding)
        remote = embeddingTargets
          ? await resolveEmbeddingTarget(leafPolicy.embedding, ctx.principal.tenantId, embeddingTargets)
          : null;
      const key = cacheKey(parts);
      ctx.outcome.cacheKey = key;
      type Status = typeof ctx.outcome.cacheStatus;
      const settle = (status: Status) => {
        ctx.outcome.cacheStatus = status;
        ctx.responseHeaders["x-portkey-cache-status"] = status;
        lookupSpan?.end({ status });
      };
      const lookupSpan = ctx.telemetry?.cacheLookup();
      // The sentence is embedded only when the exact lookup missed (or to store a refreshed answer's vector).
      let semantic: { partition: string; vector: Float32Array } | null = null;
      const embedded = async () =>
        policy.mode === "semantic" && remote !== null
          ? await semanticLookupKey(cache, endpoint, parts, remote, a.signal)
          : null;
      if (policy.forceRefresh) {
        semantic = await embedded();
        settle("REFRESH");
      } else {
        const exact = await cache.get(key);
        const exactHit = exact.kind === "found" ? servable(exact.answer, wantsStream) : null;
        if (exact.kind === "found" && exactHit !== null) {
          settle("HIT");
          return hitReply(ctx, exact.answer, exactHit);
        }
        let status: Status = policy.mode === "semantic" ? "SEMANTIC MISS" : "MISS";
        if (exact.kind !== "unavailable") semantic = await embedded();
        if (exact.kind === "unavailable") status = "MISS";
        else if (semantic !== null) {
          const near = await cache.nearest(semantic.partition, semantic.vector, policy.similarityThreshold);
          const nearHit = near.kind === "found" ? servable(near.answer, wantsStream) : null;
          if (near.kind === "found" && nearHit !== null) {
            settle("SEMANTIC HIT");
            return hitReply(ctx, near.answer, nearHit);
          }
          if (near.kind === "unavailable") status = "MISS";
        }
        settle(status);
      }
      const reply = await next();
      return storeOnSuccess(a, reply, { cache, key, policy, semantic, priceOverrides });
    },
  };
}

interface StoreTarget {
  cache: ResponseCache;
  key: string;
  policy: AttemptCachePolicy;
  semantic: { partition: string; vector: Float32Array } | null;
  priceOverrides: readonly PriceOverride[];
}

/** The partition and embedding of a request's embedded text; null when it has none (exact lookup only). */
async function semanticLookupKey(
  cache: ResponseCache,
  endpoint: string,
  parts: KeyParts,
  remote: RemoteEmbedding | undefined,
  signal: AbortSignal,
): Promise<{ partition: string; vector: Float32Array } | null> {
  const query = semanticQuery(endpoint, parts.body);
  if (query === null) return null;
  const vector = await cache.embed(query.text, remote, signal);
  return vector === null ? null : { partition: semanticPartition(parts, query.rest, remote?.id ?? null), vector };
}

/** How a stored answer is served to this request: as JSON, or as these chunks; null when its body is unusable (a miss). */
function servable(answer: StoredAnswer, wantsStream: boolean): "json" | StreamChunk[] | null {
  if (!wantsStream || answer.format === "embeddings") return "json";
  try {
    return replayChunks(answer);
  } catch {
    return null;
  }
}

function hitReply(ctx: AttemptContext["request"], answer: StoredAnswer, served: "json" | StreamChunk[]): Reply {
  ctx.outcome.costSavedNanoUsd = answer.costNanoUsd;
  if (served === "json") return jsonReply(resultFromAnswer(answer));
  const reply: StreamReply = { kind: "stream", status: 200, headers: {}, chunks: replayed(served) };
  return reply;
}

async function* replayed(chunks: StreamChunk[]): AsyncGenerator<StreamChunk, void, undefined> {
  yield* chunks;
}

/**
 * Stores a complete 2xx answer: a JSON one at once, a stream once it ended in full (before the
 * client's end of stream is written). An answer the request then did not deliver as a success (an
 * output guardrail denied it) is taken back when the request is over.
 */
async function storeOnSuccess(a: AttemptContext, reply: Reply, t: StoreTarget): Promise<Reply> {
  const ctx = a.request;
  const format = formatOf(ctx.endpoint.endpoint, reply.kind === "json" && reply.result.passThrough === true);
  if (format === null) return reply;
  const cost = (usage: Usage | null, model: string | null) => {
    if (usage === null) return 0;
    const priced = priceUsage(a.prepared.providerId, model ?? a.model, usage, t.priceOverrides).cost_nano_usd;
    return Number.isSafeInteger(priced) && priced > 0 ? priced : 0;
  };
  const put = async (answer: StoredAnswer | null) => {
    if (answer === null) return;
    const span = ctx.telemetry?.cacheStore();
    await t.cache.put(t.key, answer, t.policy.maxAgeSeconds, t.semantic);
    span?.end({ status: ctx.outcome.cacheStatus });
    ctx.finishers.push(() => {
      // A client that left after the answer was complete does not make it wrong; a denial does.
      const o = ctx.outcome;
      if (o.errorType === "client_disconnected") return;
      if (o.statusCode < 200 || o.statusCode > 299 || o.errorType != null) void t.cache.remove(t.key);
    });
  };
  if (reply.kind === "json") {
    await put(answerFromResult(reply.result, format, cost(reply.result.usage, reply.result.model), Date.now()));
    return reply;
  }
  if (reply.status < 200 || reply.status > 299) return reply;
  // A native /v1/messages stream's chunks carry Anthropic's own frames.
  let assembler: StreamAssembler | null = null;
  let usage: Usage | null = null;
  let model: string | null = null;
  // Raw frames are Anthropic's on /v1/messages; on /v1/responses they are a native provider's own
  // Response events, which are not stored (formatOf).
  let unstorable = false;
  return transformStream(reply, {
    chunk(chunk) {
      if (chunk.passThrough !== undefined && ctx.endpoint.endpoint !== "/v1/messages") unstorable = true;
      if (unstorable) return chunk;
      assembler ??= new StreamAssembler(
        chunk.passThrough !== undefined ? "anthropic" : format,
        MAX_STORED_STREAM_BYTES,
      );
      assembler.add(chunk);
      if (chunk.usage !== null) usage = chunk.usage;
      if (chunk.model !== null) model = chunk.model;
      return chunk;
    },
    async end() {
      if (unstorable) return;
      const body = assembler?.result() ?? null;
      if (body === null || assembler === null) return;
      const streamed = assembler.format;
      await put({
        v: 1,
        format: streamed,
        body,
        model,
        responseId: null,
        finishReasons: null,
        usage,
        costNanoUsd: cost(usage, model),
        storedAt: Date.now(),
      });
    },
  });
}
