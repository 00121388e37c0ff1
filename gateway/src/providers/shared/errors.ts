import type { CompletionResult } from "../provider.ts";
import type { RequestRejected } from "./rejected.ts";
import { scrubSecrets } from "./scrub-secrets.ts";

/**
 * Error mapping shared by every adapter: a provider's error body in OpenAI terms, rendered as
 * `{error: {message, type, param, code}, provider}` with the upstream status kept.
 */
export type RawHeaders = Record<string, string | string[] | undefined>;

/** An upstream error body in OpenAI terms. */
export interface ErrorInfo {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** Parses JSON, or null. */
export function parseJson(body: Buffer | string): unknown {
  try {
    return JSON.parse(typeof body === "string" ? body : body.toString("utf8"));
  } catch {
    return null;
  }
}

const OK = (status: number) => status >= 200 && status < 300;

/**
 * The gateway's OpenAI-shaped body for an upstream error: the provider named in the message and beside it.
 * Upstream text is scrubbed first (scrub-secrets.ts): `credentials` are the caller's own secrets for
 * this target (targetCredentials), masked wherever the upstream echoed them, and anything shaped like
 * a provider key is masked too — in the failure the event records and in the body the client gets.
 */
export function errorResult(
  adapter: {
    id: string;
    error(status: number, body: Buffer, headers?: RawHeaders): ErrorInfo;
    passThroughOpenAIErrors?: boolean;
  },
  status: number,
  headers: Record<string, string>,
  body: Buffer,
  rawHeaders: RawHeaders = {},
  credentials: readonly string[] = [],
): CompletionResult {
  const info = scrubbedInfo(adapter.error(status, body, rawHeaders), credentials);
  const clientStatus = OK(status) ? 502 : status;
  if (adapter.passThroughOpenAIErrors) {
    const json = parseJson(body) as { error?: unknown } | null;
    if (json !== null && typeof json.error === "object" && json.error !== null) {
      const text = body.toString("utf8");
      const scrubbed = scrubSecrets(text, credentials);
      if (scrubbed === text) return failed(clientStatus, headers, body, info);
      // A mask that broke the JSON (e.g. a credential spanning an escape) falls back to our own body.
      if (parseJson(scrubbed) !== null) return failed(clientStatus, headers, Buffer.from(scrubbed), info);
    }
  }
  const rendered = {
    error: { message: `${adapter.id} error: ${info.message}`, type: info.type, param: info.param, code: info.code },
    provider: adapter.id,
  };
  return failed(clientStatus, headers, Buffer.from(JSON.stringify(rendered)), info);
}

function scrubbedInfo(info: ErrorInfo, credentials: readonly string[]): ErrorInfo {
  return {
    message: scrubSecrets(info.message, credentials),
    type: info.type,
    param: info.param === null ? null : scrubSecrets(info.param, credentials),
    code: info.code === null ? null : scrubSecrets(info.code, credentials),
  };
}

function failed(status: number, headers: Record<string, string>, body: Buffer, info: ErrorInfo): CompletionResult {
  return {
    status,
    headers,
    body,
    usage: null,
    model: null,
    failure: { type: info.type, message: info.message },
    responseId: null,
    finishReasons: null,
  };
}

/** A 400 for input the provider cannot take, made without calling it. */
export function rejectedResult(providerId: string, error: RequestRejected): CompletionResult {
  const info: ErrorInfo = {
    message: error.message,
    type: error.status === 401 ? "authentication_error" : "invalid_request_error",
    param: error.param,
    code: error.code,
  };
  const body = { error: { ...info, message: `${providerId}: ${error.message}` }, provider: providerId };
  return failed(error.status, {}, Buffer.from(JSON.stringify(body)), info);
}

/** Default error mapping for `{error: {...}}`, `{error: "..."}`, `{message}`, `{detail}` bodies. */
export function genericErrorInfo(status: number, body: Buffer): ErrorInfo {
  const json = parseJson(body) as Record<string, unknown> | null;
  const fallbackType = defaultErrorType(status);
  if (json !== null && typeof json === "object") {
    const e = (typeof json.error === "object" && json.error !== null ? json.error : json) as Record<string, unknown>;
    const message =
      typeof e.message === "string"
        ? e.message
        : typeof json.error === "string"
          ? json.error
          : typeof json.detail === "string"
            ? json.detail
            : Array.isArray(json.detail)
              ? JSON.stringify(json.detail)
              : `upstream returned ${status}`;
    const type = typeof e.type === "string" ? e.type : fallbackType;
    const code = typeof e.code === "string" ? e.code : typeof e.code === "number" ? String(e.code) : null;
    return { message, type, param: typeof e.param === "string" ? e.param : null, code };
  }
  const text = body.toString("utf8").trim().slice(0, 300);
  return { message: text || `upstream returned ${status}`, type: fallbackType, param: null, code: null };
}

/** A provider error body's message when it is a string, else the body's first 300 characters, else the status. */
export function upstreamMessage(message: unknown, status: number, body: Buffer): string {
  return typeof message === "string" ? message : body.toString("utf8").slice(0, 300) || `upstream returned ${status}`;
}

/** The OpenAI error type for an HTTP status. */
export function defaultErrorType(status: number): string {
  if (status === 400 || status === 422) return "invalid_request_error";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 408) return "timeout_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 529 || status === 503) return "overloaded_error";
  if (OK(status)) return "invalid_upstream_response";
  return "api_error";
}
