import { CatalogueError, type ErrorCatalogue } from "./catalogue-error.ts";

/**
 * Errors any of our HTTP services answers at its edge, before a route runs: Node's HTTP parser,
 * fastify's router and body parsers. Each service's catalogue spreads these in (`...EdgeErrors`), so
 * the same failure has the same code, status and type on every port.
 */
export const EdgeErrors = {
  invalid_request: { status: 400, type: "invalid_request_error" },
  invalid_json: { status: 400, type: "invalid_request_error" },
  body_too_deep: { status: 400, type: "invalid_request_error" },
  malformed_request: { status: 400, type: "invalid_request_error" },
  invalid_url: { status: 400, type: "invalid_request_error" },
  not_found: { status: 404, type: "invalid_request_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  request_timeout: { status: 408, type: "timeout_error" },
  body_too_large: { status: 413, type: "invalid_request_error" },
  uri_too_long: { status: 414, type: "invalid_request_error" },
  unsupported_media_type: { status: 415, type: "invalid_request_error" },
  expectation_failed: { status: 417, type: "invalid_request_error" },
  headers_too_large: { status: 431, type: "invalid_request_error" },
  internal_error: { status: 500, type: "api_error" },
  shutting_down: { status: 503, type: "api_error" },
} as const satisfies ErrorCatalogue;

export type EdgeErrorCode = keyof typeof EdgeErrors;

export class EdgeError extends CatalogueError<typeof EdgeErrors> {
  constructor(code: EdgeErrorCode, message: string, param: string | null = null) {
    super(EdgeErrors, code, message, param);
    this.name = "EdgeError";
  }
}

/**
 * fastify's own failures (body parsers, router) as edge errors; undefined for anything else, which
 * the service classifies itself (its own errors, its stores) and otherwise answers `internal_error`.
 */
export function fastifyEdgeError(error: unknown): EdgeError | undefined {
  if (error instanceof EdgeError) return error;
  const fe = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  const message = typeof fe.message === "string" ? fe.message : "invalid request";
  switch (fe.code) {
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new EdgeError("unsupported_media_type", "Content-Type must be application/json", "content-type");
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new EdgeError("body_too_large", "request body is larger than this service accepts");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new EdgeError("invalid_json", `request body is not valid JSON: ${message}`);
    case "FST_ERR_BAD_URL":
      return new EdgeError("invalid_url", "the request path is not a valid URL (bad percent-encoding)");
    case "FST_ERR_MAX_PARAM_LENGTH":
      return new EdgeError("uri_too_long", "a path segment of the request URL is too long");
  }
  // Raw JSON.parse failures (a parser that threw rather than calling done with an error).
  if (error instanceof SyntaxError) {
    return new EdgeError("invalid_json", `request body is not valid JSON: ${message}`);
  }
  // Any other 4xx fastify raised (invalid content length, bad content-type header...) is the client's.
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new EdgeError("invalid_request", message);
  }
  return undefined;
}

/** A failure Node's HTTP parser reported (fastify never sees the request) as an edge error. */
export function clientEdgeError(error: Error & { code?: string }): EdgeError {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return new EdgeError("headers_too_large", "request headers are too large");
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return new EdgeError("body_too_large", "chunk extensions are too large");
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new EdgeError("request_timeout", "the request was not received in time");
    default:
      return new EdgeError("malformed_request", `malformed HTTP request (${error.code ?? "parse error"})`);
  }
}
