import type { OutgoingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { FastifyReply, FastifyRequest } from "fastify";
import { GatewayError } from "../errors.ts";
import { newRequestContext, type RequestContext, streamEncoderOf } from "../pipeline/context.ts";
import type { EndpointSpec, RenderedJson } from "../pipeline/endpoint.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import type { Reply, StreamReply } from "../pipeline/reply.ts";
import { runChain, thenNext } from "../pipeline/stage.ts";
import type { CompletionResult } from "../providers/provider.ts";
import { relaySse } from "./sse-relay.ts";
import { unconvertible } from "./unconvertible.ts";

/**
 * The transport edge of the pipeline: turns a fastify request into a RequestContext, runs the
 * request chain, and writes the Reply it returns — JSON in the endpoint's format, or SSE chunk by
 * chunk. When the response is over (finished, failed or abandoned) it runs the context's finishers
 * exactly once (emit-event's: one RequestEvent per admitted request).
 */
export function pipelineRoute<Req>(endpoint: EndpointSpec<Req>, pipeline: Pipeline) {
  return (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // The client left before its request reached the handler (its close already fired, so the listener below
    // would never hear it): nobody to answer, so no upstream call is paid for and nothing is recorded.
    if (reply.raw.destroyed) {
      reply.hijack();
      return Promise.resolve();
    }
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
    // Chained rather than awaited: the common JSON answer costs two promises here, not five.
    return thenNext(
      () => runChain(pipeline.request, ctx as RequestContext, noStageAnswered),
      (answer) => write(ctx, answer, reply),
      (error) => failed(ctx, error, reply),
    );
  };
}

/** A stage threw: the answer is recorded (sealed) first, then rendered in the endpoint's format or left to the error handler. */
async function failed<Req>(ctx: RequestContext<Req>, error: unknown, reply: FastifyReply): Promise<void> {
  reply.headers(ctx.responseHeaders);
  // An admitted request's error answer is recorded before it is written, like any answer.
  await ctx.seal?.();
  const endpoint = ctx.endpoint;
  if (endpoint.renderError && error instanceof GatewayError && !reply.sent && !reply.raw.headersSent) {
    reply.code(error.status).type("application/json").send(endpoint.renderError(error));
    return;
  }
  throw error;
}

function noStageAnswered(): Promise<Reply> {
  return Promise.reject(new Error("pipeline: the request chain ended without an answer (is the route stage last?)"));
}

function write<Req>(ctx: RequestContext<Req>, answer: Reply, reply: FastifyReply): Promise<void> | undefined {
  if (answer.kind === "stream") return writeStream(ctx, answer, reply);
  const endpoint = ctx.endpoint;
  const r = answer.result;
  let rendered: RenderedJson;
  try {
    rendered = endpoint.renderJson && ctx.request !== null ? endpoint.renderJson(r, ctx.request) : r;
  } catch {
    // An upstream answer of a shape the endpoint's converter cannot take (e.g. `tool_calls: {}` for /v1/messages):
    // answered and recorded as the same 502, sealed before it is written, never a 500 beside a recorded 200.
    return failed(ctx, unconvertible(ctx), reply);
  }
  ctx.rendered = rendered;
  if (r.audioSeconds !== undefined) ctx.outcome.audioSeconds = r.audioSeconds;
  // The event is sealed (durably handed over) before the answer is written.
  const sealed = ctx.seal?.();
  if (sealed instanceof Promise) return sealed.then(() => sendJson(r, rendered, ctx, reply));
  return sendJson(r, rendered, ctx, reply);
}

function sendJson<Req>(
  r: CompletionResult,
  rendered: RenderedJson,
  ctx: RequestContext<Req>,
  reply: FastifyReply,
): Promise<void> | undefined {
  if (r.bodyStream === undefined && writesWhole(r.status)) {
    writeWhole(reply, r.status, rendered.body, r.contentType ?? "application/json", ctx.responseHeaders, r.headers);
    return undefined;
  }
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
  if (r.bodyStream !== undefined) return finished(reply.raw).catch(() => undefined);
  return undefined;
}

/** A status whose answer has a body and a Content-Length (not 1xx, 204 or 304), in the range fastify's reply.code takes. */
function writesWhole(status: number): boolean {
  return status >= 200 && status <= 599 && status !== 204 && status !== 304;
}

/**
 * A whole JSON (or media) body written straight to Node's response: what fastify's send does for a
 * Buffer — the headers hooks set, ours, Content-Type, Content-Length, one end() — without its per-send
 * work (content-type parsing, a header() call per header, the onSend step: the app registers no onSend
 * hook; onResponse hooks still run, on the response's finish). The headers are written before the reply
 * is taken over, so a header Node refuses throws here with nothing sent and the error handler still answers.
 */
function writeWhole(
  reply: FastifyReply,
  status: number,
  body: Buffer,
  contentType: string,
  ours: Record<string, string>,
  upstream: Record<string, string>,
): void {
  const headers: Record<string, unknown> = reply.getHeaders();
  for (const name in ours) headers[name] = ours[name];
  for (const name in upstream) headers[name] = upstream[name];
  headers["content-type"] = contentType;
  headers["content-length"] = String(body.length);
  const raw = reply.raw;
  raw.writeHead(status, headers as OutgoingHttpHeaders);
  reply.hijack();
  raw.end(body);
}

async function writeStream<Req>(ctx: RequestContext<Req>, answer: StreamReply, reply: FastifyReply): Promise<void> {
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
