import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { FastifyReply, FastifyRequest } from "fastify";
import { GatewayError } from "../errors.ts";
import { newRequestContext, type RequestContext, streamEncoderOf } from "../pipeline/context.ts";
import type { EndpointSpec } from "../pipeline/endpoint.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import type { Reply } from "../pipeline/reply.ts";
import { runChain } from "../pipeline/stage.ts";
import { relaySse } from "./sse-relay.ts";

/**
 * The transport edge of the pipeline: turns a fastify request into a RequestContext, runs the
 * request chain, and writes the Reply it returns — JSON in the endpoint's format, or SSE chunk by
 * chunk. When the response is over (finished, failed or abandoned) it runs the context's finishers
 * exactly once (emit-event's: one RequestEvent per admitted request).
 */
export function pipelineRoute<Req>(endpoint: EndpointSpec<Req>, pipeline: Pipeline) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const abort = new AbortController();
    const ctx = newRequestContext({
      endpoint,
      headers: request.headers,
      rawBody: request.body,
      startedAt: request.startedAt,
      signal: abort.signal,
    });
    reply.raw.once("close", () => {
      if (!reply.raw.writableFinished) {
        abort.abort();
        if (ctx.outcome.errorType === null) {
          ctx.outcome.statusCode = 499;
          ctx.outcome.errorType = "client_disconnected";
          ctx.outcome.errorMessage = "the client closed the connection before the response completed";
        }
      }
      for (const finish of ctx.finishers) finish();
    });
    let answer: Reply;
    try {
      answer = await runChain(pipeline.request, ctx as RequestContext, noStageAnswered);
    } catch (error) {
      reply.headers(ctx.responseHeaders);
      // An admitted request's error answer is recorded before it is written, like any answer.
      await ctx.seal?.();
      if (endpoint.renderError && error instanceof GatewayError && !reply.sent && !reply.raw.headersSent) {
        reply.code(error.status).type("application/json").send(endpoint.renderError(error));
        return;
      }
      throw error;
    }
    await write(ctx, answer, reply);
  };
}

function noStageAnswered(): Promise<Reply> {
  return Promise.reject(new Error("pipeline: the request chain ended without an answer (is the route stage last?)"));
}

async function write<Req>(ctx: RequestContext<Req>, answer: Reply, reply: FastifyReply): Promise<void> {
  const endpoint = ctx.endpoint;
  if (answer.kind === "json") {
    const r = answer.result;
    const rendered = endpoint.renderJson && ctx.request !== null ? endpoint.renderJson(r, ctx.request) : r;
    ctx.rendered = rendered;
    if (r.audioSeconds !== undefined) ctx.outcome.audioSeconds = r.audioSeconds;
    await ctx.seal?.();
    // Media answers carry their own type (audio, text transcripts); speech audio is relayed as it arrives.
    const body = r.bodyStream === undefined ? rendered.body : Readable.from(r.bodyStream);
    reply
      .code(r.status)
      .headers(ctx.responseHeaders)
      .headers(r.headers)
      .type(r.contentType ?? "application/json")
      .send(body);
    // A streamed body is still being written: the handler must not return before it ends, or fastify
    // would take the reply for unsent and answer again.
    if (r.bodyStream !== undefined) await finished(reply.raw).catch(() => undefined);
    return;
  }
  if (ctx.request === null) throw new Error("pipeline: a stream answered before the request was parsed");
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(answer.status, {
    ...(reply.getHeaders() as Record<string, string>),
    ...ctx.responseHeaders,
    ...answer.headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
  });
  raw.flushHeaders();
  await relaySse(raw, answer.chunks, ctx, streamEncoderOf(ctx, ctx.request));
}
