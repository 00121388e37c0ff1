import { type Dispatcher, errors, type FormData, request } from "undici";
import { GatewayError } from "../errors.ts";

/**
 * Upstream response headers worth passing through to the client: x-ratelimit-*, retry-after*,
 * anthropic-ratelimit-* (prefix checks, no regex or entries array: this runs on every answer).
 */
function passesThrough(name: string): boolean {
  return name.startsWith("x-ratelimit-") || name.startsWith("retry-after") || name.startsWith("anthropic-ratelimit-");
}

export function passThroughHeaders(headers: Dispatcher.ResponseData["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    if (!Object.hasOwn(headers, name) || !passesThrough(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

export interface HttpCall {
  dispatcher: Dispatcher;
  url: string;
  headers: Record<string, string>;
  /** JSON text, or a multipart form (uploads: its file parts stream from disk); none for GET/DELETE. */
  body: string | FormData | null;
  signal: AbortSignal;
  /** Default POST. */
  method?: "POST" | "GET" | "DELETE";
}

/**
 * POSTs to an upstream through undici. Network failures become gateway errors that name
 * the upstream host but never the credential; a client abort is rethrown as is.
 */
export async function postUpstream(call: HttpCall): Promise<Dispatcher.ResponseData> {
  try {
    return await request(call.url, {
      method: call.method ?? "POST",
      dispatcher: call.dispatcher,
      headers: call.headers,
      body: call.body,
      signal: call.signal,
    });
  } catch (error) {
    throw upstreamError(call, error);
  }
}

/** What a failed upstream call throws: a client abort as is, else a gateway error naming the host (never the credential). */
export function upstreamError(call: Pick<HttpCall, "url" | "signal">, error: unknown): unknown {
  if (call.signal.aborted) return error;
  const host = safeHost(call.url);
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError) {
    return new GatewayError("upstream_timeout", `upstream ${host} timed out`);
  }
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
  return new GatewayError("upstream_unreachable", `could not reach upstream ${host} (${reason})`);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(invalid url)";
  }
}
