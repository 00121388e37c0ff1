/**
 * Input this provider cannot take (an image URL Bedrock cannot fetch, a role Gemini lacks...),
 * found while transforming the request: a 400 naming the problem, before any upstream call.
 */
export class RequestRejected extends Error {
  readonly param: string | null;
  readonly code: string;
  /** The client's status: 400, or 401 when the provider's credentials could not be used (Vertex token exchange). */
  readonly status: number;
  constructor(message: string, param: string | null = null, code = "unsupported_input", status = 400) {
    super(message);
    this.name = "RequestRejected";
    this.param = param;
    this.code = code;
    this.status = status;
  }
}
