import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from "fastify";
import { type CatalogueError, type ErrorCatalogue, openAIErrorBody } from "./catalogue-error.ts";
import { clientEdgeError, EdgeError, fastifyEdgeError } from "./edge-errors.ts";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "./json-depth.ts";

/**
 * The HTTP edge every service shares: whatever the failure — Node's HTTP parser, an `Expect` header,
 * fastify's router or body parser, a route — the client gets `{"error": {message, type, param, code}}`
 * with the right status. Services pass their own classifier for their own errors.
 */

type AnyCatalogueError = CatalogueError<ErrorCatalogue>;

const REASONS: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Payload Too Large",
  405: "Method Not Allowed",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
};

/** Caps what a message echoes from the request line (a path can be kilobytes long). */
function shown(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** A complete raw HTTP/1.1 error response, for sockets fastify never got a request from. */
export function rawErrorResponse(error: AnyCatalogueError): string {
  const body = JSON.stringify(openAIErrorBody(error));
  const reason = REASONS[error.status] ?? "Error";
  return `HTTP/1.1 ${error.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function send(reply: FastifyReply, error: AnyCatalogueError): void {
  reply.code(error.status).type("application/json").send(openAIErrorBody(error));
}

/**
 * Fastify constructor options for the failures that bypass the error handler: requests Node's HTTP
 * parser rejects (clientErrorHandler) and the router's bad-URL / over-long-parameter answers
 * (frameworkErrors). Both would otherwise answer fastify's own JSON.
 */
/**
 * The longest path parameter the router takes (fastify's default is 100): entity names are up to 200
 * characters and trace ids 256, which percent-encoding can triple; routes then name a parameter that
 * is still too long. Beyond this: 414 `uri_too_long`.
 */
export const MAX_PATH_PARAM_LENGTH = 1024;

export function edgeServerOptions(): Pick<
  FastifyServerOptions,
  "clientErrorHandler" | "frameworkErrors" | "return503OnClosing" | "routerOptions"
> {
  return {
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // fastify's own 503 while closing has its own body; installEdgeErrorHandling answers ours instead.
    return503OnClosing: false,
    clientErrorHandler: (error, socket) => {
      const code = (error as NodeJS.ErrnoException).code;
      // The client is gone (or the socket is half-closed): there is nobody to answer. Once anything
      // was written (e.g. a 404 sent before an unread, broken chunked body), a second response would
      // answer the same request twice, so — as Node's own default does — the connection just closes.
      if (code === "ECONNRESET" || code === "EPIPE" || !socket.writable || socket.bytesWritten > 0) {
        socket.destroy();
        return;
      }
      socket.end(rawErrorResponse(clientEdgeError(error)));
    },
    frameworkErrors: (error, _request, reply) => {
      send(reply, fastifyEdgeError(error) ?? new EdgeError("internal_error", "internal error"));
    },
  };
}

/**
 * Requests Node answers itself, bypassing fastify: an `Expect` other than `100-continue` (an empty
 * 417 unless someone listens for 'checkExpectation') and CONNECT (the socket silently closed unless
 * someone listens for 'connect'). Both get our body: 417 and 405, then the connection closes (a body,
 * if any, is unread).
 */
export function answerRequestsNodeHandles(server: Server): void {
  server.on("checkExpectation", (request, response) => {
    const expect = shown(String(request.headers.expect ?? ""), 100);
    const body = JSON.stringify(
      openAIErrorBody(
        new EdgeError("expectation_failed", `unsupported Expect header '${expect}': only 100-continue`, "expect"),
      ),
    );
    response.writeHead(417, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      connection: "close",
    });
    response.end(body);
  });
  server.on("connect", (_request, socket: Duplex) => {
    const error = new EdgeError("method_not_allowed", "CONNECT is not supported: this is not a proxy");
    if (socket.writable) socket.end(rawErrorResponse(error));
    else socket.destroy();
  });
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** 405 naming the methods the path does take (and setting Allow), else 404. */
function routeMiss(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): EdgeError {
  const path = request.url.split("?", 1)[0] ?? "/";
  const allowed = METHODS.filter((method) => {
    if (method === request.method) return false;
    try {
      return app.findRoute({ method, url: path }) !== null;
    } catch {
      return false;
    }
  });
  if (allowed.length === 0) return new EdgeError("not_found", `no route for ${request.method} ${shown(path)}`);
  reply.header("allow", allowed.join(", "));
  return new EdgeError(
    "method_not_allowed",
    `${request.method} is not allowed on ${shown(path)}; allowed: ${allowed.join(", ")}`,
  );
}

export interface EdgeHandling {
  /** Names the service in the 500 message and the log line of a failure. */
  service: string;
  /** The service's own errors and failures it can classify (e.g. a store that is down); else undefined. */
  classify(error: unknown): AnyCatalogueError | undefined;
  /**
   * The service's own first step on every request (the gateway stamps its arrival time), run inside
   * the edge's onRequest hook: one hook per request instead of two.
   */
  onRequest?(request: FastifyRequest): void;
}

/**
 * The one error handler, the 404/405 handler and the Expect answer. A request for an unknown route
 * whose body also fails to parse is still a 404/405: the route miss is the first thing wrong.
 * Anything unclassified is a 500 `internal_error` whose details stay in the log.
 */
export function installEdgeErrorHandling(app: FastifyInstance, handling: EdgeHandling): void {
  answerRequestsNodeHandles(app.server as Server);
  // Requests still arriving on open keep-alive connections once close() began: a 503 in our shape
  // (fastify sets Connection: close on them), never new work for a process on its way out.
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  const first = handling.onRequest;
  app.addHook("onRequest", (request, reply, done) => {
    first?.(request);
    if (!closing) return done();
    send(reply, new EdgeError("shutting_down", `the ${handling.service} is shutting down; retry on another instance`));
  });
  app.setErrorHandler((error, request, reply) => {
    const rendered = request.is404
      ? routeMiss(app, request, reply)
      : (handling.classify(error) ??
        fastifyEdgeError(error) ??
        new EdgeError("internal_error", `internal ${handling.service} error`));
    if (rendered.status >= 500) request.log.error({ err: error }, `${handling.service} request failed`);
    if (reply.sent || reply.raw.headersSent) return;
    send(reply, rendered);
  });
  app.setNotFoundHandler((request, reply) => {
    send(reply, routeMiss(app, request, reply));
  });
}

type JsonParser = ReturnType<FastifyInstance["getDefaultJsonParser"]>;

/** `parse` behind a nesting-depth check: a body nested deeper than `maxDepth` never reaches it. */
export function depthBoundedJsonParser(parse: JsonParser, maxDepth: number = MAX_JSON_DEPTH): JsonParser {
  return (request, body, done) => {
    if (jsonDepthExceeds(body as string, maxDepth)) {
      done(new EdgeError("body_too_deep", `request body nests JSON deeper than ${maxDepth} levels`, "body"), undefined);
      return;
    }
    parse(request, body, done);
  };
}

/**
 * Replaces fastify's JSON body parser with the same parser behind a nesting-depth check, so a body
 * nested 10,000 levels deep is a 400 naming the body instead of a stack overflow further in.
 * Proto/constructor poisoning stays rejected, as with fastify's default.
 */
export function registerJsonBodyParser(app: FastifyInstance, maxDepth: number = MAX_JSON_DEPTH): void {
  const parse = depthBoundedJsonParser(app.getDefaultJsonParser("error", "error"), maxDepth);
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, parse);
}
