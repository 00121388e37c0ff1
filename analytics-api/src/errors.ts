/**
 * The analytics API's one error catalogue: every error a client can see, with a stable code, an HTTP
 * status and an OpenAI error `type`. The one error handler renders them as
 * `{"error": {"message", "type", "param", "code"}}`.
 */
export const AnalyticsErrors = {
  invalid_parameter: { status: 400, type: "invalid_request_error" },
  missing_api_key: { status: 401, type: "authentication_error" },
  invalid_api_key: { status: 401, type: "authentication_error" },
  revoked_api_key: { status: 401, type: "authentication_error" },
  tenant_forbidden: { status: 403, type: "permission_error" },
  trace_not_found: { status: 404, type: "invalid_request_error" },
  not_found: { status: 404, type: "invalid_request_error" },
  store_unavailable: { status: 503, type: "api_error" },
  internal_error: { status: 500, type: "api_error" },
} as const satisfies Record<string, { status: number; type: string }>;

export type AnalyticsErrorCode = keyof typeof AnalyticsErrors;

export class AnalyticsError extends Error {
  readonly code: AnalyticsErrorCode;
  readonly param: string | null;
  readonly status: number;

  constructor(code: AnalyticsErrorCode, message: string, param: string | null = null) {
    super(message);
    this.name = "AnalyticsError";
    this.code = code;
    this.param = param;
    this.status = AnalyticsErrors[code].status;
  }
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

export function errorBody(error: AnalyticsError): OpenAIErrorBody {
  return {
    error: { message: error.message, type: AnalyticsErrors[error.code].type, param: error.param, code: error.code },
  };
}
