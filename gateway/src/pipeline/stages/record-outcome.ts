import { GatewayError } from "../../errors.ts";
import { scrubSecrets, targetCredentials } from "../../providers/shared/scrub-secrets.ts";
import type { RequestContext } from "../context.ts";
import type { RequestOutcome } from "../outcome.ts";
import { type Reply, transformStream } from "../reply.ts";
import { type RequestStage, thenNext } from "../stage.ts";

/**
 * Records the answer the client gets into the outcome, whichever stage produced it (the router,
 * or an early answer such as a cache hit): status, usage, model, error; for a stream, usage and
 * model as chunks pass and the end or cut of the stream. A failure below is recorded (a
 * GatewayError as its code, anything else as a 500 internal_error) and rethrown for rendering.
 * Writes: outcome.statusCode/usage/modelUsed/errorType/errorMessage/upstreamEndedAt.
 */
export const recordOutcome: RequestStage = {
  name: "record-outcome",
  run(ctx, next) {
    const failed = (error: unknown): never => {
      recordFailure(ctx.outcome, error);
      throw error;
    };
    return thenNext(next, (reply) => recorded(ctx, reply), failed);
  },
};

/** The answer's facts into the outcome; a stream is tapped for its usage, model, end and cut. */
function recorded(ctx: RequestContext, reply: Reply): Reply {
  const o = ctx.outcome;
  if (reply.kind === "json") {
    const r = reply.result;
    if (o.upstreamStartedAt !== null) o.upstreamEndedAt = performance.now();
    o.statusCode = r.status;
    o.usage = r.usage;
    o.modelUsed = r.model;
    o.errorType = r.failure?.type ?? null;
    o.errorMessage = r.failure?.message ?? null;
    return reply;
  }
  o.statusCode = reply.status;
  return transformStream(reply, {
    chunk(chunk) {
      if (chunk.usage !== null) o.usage = chunk.usage;
      if (chunk.model !== null) o.modelUsed = chunk.model;
      return chunk;
    },
    end() {
      if (o.upstreamStartedAt !== null) o.upstreamEndedAt = performance.now();
    },
    error(error) {
      // A client that left aborted the stream: the transport already recorded it (499).
      if (ctx.signal.aborted) return undefined;
      if (o.upstreamStartedAt !== null) o.upstreamEndedAt = performance.now();
      o.statusCode = 502;
      o.errorType = "stream_interrupted";
      // An upstream's error text may echo the caller's key: masked before it is stored or sent.
      o.errorMessage = scrubSecrets((error as Error)?.message || "upstream stream failed", credentialsOf(ctx));
      return new Error(o.errorMessage);
    },
  });
}

/** Every credential the request's targets carry (the caller's keys), for masking upstream text. */
function credentialsOf(ctx: RequestContext): string[] {
  const out: string[] = [];
  for (const prepared of ctx.targets?.values() ?? []) out.push(...targetCredentials(prepared.target));
  return out;
}

function recordFailure(o: RequestOutcome, error: unknown): void {
  if (error instanceof GatewayError) {
    o.statusCode = error.status;
    o.errorType = error.code;
    o.errorMessage = error.message;
  } else if (!(error instanceof Error && error.name === "AbortError")) {
    o.statusCode = 500;
    o.errorType = "internal_error";
    o.errorMessage = "internal gateway error";
  }
}
