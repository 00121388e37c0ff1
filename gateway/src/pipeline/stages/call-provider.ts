import { GatewayError } from "../../errors.ts";
import type { Reply } from "../reply.ts";
import type { AttemptContext } from "../stage.ts";

/**
 * A fault of the gateway's own code inside an attempt (a bug, a stack overflow building the upstream
 * request), as opposed to an I/O failure (undici's and Node's errors carry a `code`). The router
 * rethrows it at once (RouterDeps.isFault): no retry, no fallback, no breaker failure, and the
 * client gets a 500 internal_error, never a 502 "could not reach…".
 */
export function isInternalFault(error: unknown): boolean {
  if (error instanceof GatewayError) return false;
  if (error instanceof RangeError || error instanceof ReferenceError) return true;
  return error instanceof TypeError && !("code" in error);
}

/** The innermost attempt step: the endpoint's call to the provider with this attempt's body and target. */
export function callProvider(a: AttemptContext): Promise<Reply> {
  return a.request.endpoint.call(a.provider, a.body, a.target, a.signal);
}

export function replyStatus(reply: Reply): number {
  return reply.kind === "json" ? reply.result.status : reply.status;
}

export function replyHeaders(reply: Reply): Record<string, string> {
  return reply.kind === "json" ? reply.result.headers : reply.headers;
}

export function replyErrorType(reply: Reply): string | null {
  return reply.kind === "json" ? (reply.result.failure?.type ?? null) : null;
}
