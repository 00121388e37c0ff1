import type { FastifyError, FastifyInstance } from "fastify";
import { errorBody, GatewayError, type GatewayErrorCode } from "./errors.ts";

/** fastify's own error codes → our catalogue, so every error a client sees has the same shape. */
const FASTIFY_CODES: Record<string, GatewayErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_BODY_TOO_LARGE: "body_too_large",
  FST_ERR_CTP_EMPTY_JSON_BODY: "invalid_json",
  FST_ERR_CTP_INVALID_JSON_BODY: "invalid_json",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "invalid_request",
};

export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const fe = error as Partial<FastifyError>;
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped === "unsupported_media_type") {
    return new GatewayError(mapped, "Content-Type must be application/json", "content-type");
  }
  if (mapped === "body_too_large") return new GatewayError(mapped, "request body is larger than the gateway accepts");
  if (mapped === "invalid_json") return new GatewayError(mapped, `request body is not valid JSON: ${fe.message}`);
  if (mapped) return new GatewayError(mapped, fe.message ?? "invalid request body");
  if (error instanceof SyntaxError || (fe.statusCode === 400 && fe.code === undefined)) {
    return new GatewayError("invalid_json", `request body is not valid JSON: ${(error as Error).message}`);
  }
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new GatewayError("invalid_request", fe.message ?? "invalid request");
  }
  return new GatewayError("internal_error", "internal gateway error");
}

/** The one error handler: renders every failure as an OpenAI-style error body. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === "internal_error") request.log.error({ err: error }, "unhandled gateway error");
    if (reply.sent || reply.raw.headersSent) return;
    reply.code(gatewayError.status).type("application/json").send(errorBody(gatewayError));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new GatewayError("not_found", `no route for ${request.method} ${request.url.split("?")[0]}`);
    reply.code(error.status).send(errorBody(error));
  });
}
