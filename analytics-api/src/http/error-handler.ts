import type { FastifyError, FastifyInstance } from "fastify";
import { AnalyticsError, errorBody } from "../errors.ts";

// Socket-level failures reaching a ClickHouse server: the store is down, not the request wrong.
const STORE_UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND"]);

function toAnalyticsError(error: unknown): AnalyticsError {
  if (error instanceof AnalyticsError) return error;
  if (STORE_UNREACHABLE.has((error as NodeJS.ErrnoException).code ?? "")) {
    return new AnalyticsError("store_unavailable", "the analytics store is unreachable; retry later");
  }
  const fe = error as Partial<FastifyError>;
  // fastify's own 4xx (malformed URL, bad content type...) are the client's fault, not ours.
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AnalyticsError("invalid_parameter", fe.message ?? "invalid request");
  }
  return new AnalyticsError("internal_error", "internal analytics error");
}

/** The one error handler and the JSON 404: every failure leaves as an OpenAI-style error body. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const analyticsError = toAnalyticsError(error);
    if (analyticsError.status >= 500) request.log.error({ err: error }, "analytics request failed");
    if (reply.sent || reply.raw.headersSent) return;
    reply.code(analyticsError.status).type("application/json").send(errorBody(analyticsError));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new AnalyticsError("not_found", `no route for ${request.method} ${request.url.split("?")[0]}`);
    reply.code(error.status).type("application/json").send(errorBody(error));
  });
}
