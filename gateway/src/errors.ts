import { CatalogueError, EdgeErrors, type ErrorCatalogue } from "@switchyard/platform";

/**
 * The gateway's one error catalogue. Every error a client can see is listed here with a
 * stable code, an HTTP status and an OpenAI error `type`; the one error handler (app.ts)
 * renders them as `{"error": {"message", "type", "param", "code"}}`. The edge's codes (malformed
 * HTTP, bad URL, 404/405/413/415/417, JSON too deep...) are shared with the analytics API.
 */
export const GatewayErrors = {
  ...EdgeErrors,
  invalid_header: { status: 400, type: "invalid_request_error" },
  unknown_provider: { status: 400, type: "invalid_request_error" },
  invalid_config: { status: 400, type: "invalid_request_error" },
  unknown_config: { status: 400, type: "invalid_request_error" },
  no_route_matched: { status: 400, type: "invalid_request_error" },
  unknown_virtual_key: { status: 400, type: "invalid_request_error" },
  virtual_key_disabled: { status: 403, type: "permission_error" },
  virtual_key_unusable: { status: 500, type: "api_error" },
  invalid_custom_host: { status: 400, type: "invalid_request_error" },
  forbidden_custom_host: { status: 400, type: "invalid_request_error" },
  missing_api_key: { status: 401, type: "authentication_error" },
  invalid_api_key: { status: 401, type: "authentication_error" },
  revoked_api_key: { status: 401, type: "authentication_error" },
  upstream_error: { status: 502, type: "api_error" },
  upstream_unreachable: { status: 502, type: "api_error" },
  upstream_timeout: { status: 504, type: "api_error" },
  circuit_open: { status: 503, type: "api_error" },
  // Budgets and rate limits (gateway/src/limits/): the refusal names the limit, never another tenant's.
  rate_limit_exceeded: { status: 429, type: "rate_limit_exceeded" },
  budget_exceeded: { status: 412, type: "budget_exceeded" },
  // fail_closed and the shared counters (Redis) unreachable: a retryable refusal, never a 5xx.
  limits_unavailable: { status: 429, type: "rate_limit_exceeded" },
  // Prompts (gateway/src/prompts/) and feedback: the key's scopes, unknown prompts/versions/labels/partials, feedback ids.
  insufficient_scope: { status: 403, type: "permission_error" },
  prompt_not_found: { status: 404, type: "invalid_request_error" },
  invalid_template: { status: 400, type: "invalid_request_error" },
  missing_variable: { status: 400, type: "invalid_request_error" },
  feedback_not_found: { status: 404, type: "invalid_request_error" },
  // Admin API (gateway/src/admin/).
  admin_disabled: { status: 403, type: "permission_error" },
  invalid_admin_token: { status: 401, type: "authentication_error" },
  tenant_not_found: { status: 404, type: "invalid_request_error" },
  api_key_not_found: { status: 404, type: "invalid_request_error" },
  virtual_key_not_found: { status: 404, type: "invalid_request_error" },
  saved_config_not_found: { status: 404, type: "invalid_request_error" },
  limit_policy_not_found: { status: 404, type: "invalid_request_error" },
  conflict: { status: 409, type: "invalid_request_error" },
  managed_by_file: { status: 409, type: "invalid_request_error" },
  vault_unavailable: { status: 503, type: "api_error" },
  control_plane_unavailable: { status: 503, type: "api_error" },
} as const satisfies ErrorCatalogue;

export type GatewayErrorCode = keyof typeof GatewayErrors;

export class GatewayError extends CatalogueError<typeof GatewayErrors> {
  constructor(code: GatewayErrorCode, message: string, param: string | null = null) {
    super(GatewayErrors, code, message, param);
    this.name = "GatewayError";
  }
}
