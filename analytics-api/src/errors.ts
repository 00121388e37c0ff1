import { CatalogueError, EdgeErrors, type ErrorCatalogue } from "@switchyard/platform";

/**
 * The analytics API's one error catalogue: every error a client can see, with a stable code, an HTTP
 * status and an OpenAI error `type`. The one error handler renders them as
 * `{"error": {"message", "type", "param", "code"}}`. The edge's codes (malformed HTTP, bad URL,
 * 404/405/413/415/417...) are shared with the gateway (platform/src/http/edge-errors.ts).
 */
export const AnalyticsErrors = {
  ...EdgeErrors,
  invalid_parameter: { status: 400, type: "invalid_request_error" },
  missing_api_key: { status: 401, type: "authentication_error" },
  invalid_api_key: { status: 401, type: "authentication_error" },
  revoked_api_key: { status: 401, type: "authentication_error" },
  tenant_forbidden: { status: 403, type: "permission_error" },
  /** The key was created with a scope list that lacks analytics.read. */
  insufficient_scope: { status: 403, type: "permission_error" },
  trace_not_found: { status: 404, type: "invalid_request_error" },
  request_not_found: { status: 404, type: "invalid_request_error" },
  /** The query hit the store's bounds (time, memory, result size): narrower filters would answer. */
  query_too_expensive: { status: 422, type: "invalid_request_error" },
  store_unavailable: { status: 503, type: "api_error" },
} as const satisfies ErrorCatalogue;

export type AnalyticsErrorCode = keyof typeof AnalyticsErrors;

export class AnalyticsError extends CatalogueError<typeof AnalyticsErrors> {
  constructor(code: AnalyticsErrorCode, message: string, param: string | null = null) {
    super(AnalyticsErrors, code, message, param);
    this.name = "AnalyticsError";
  }
}
