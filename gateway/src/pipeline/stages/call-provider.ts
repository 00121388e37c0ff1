import { GatewayError } from "../../errors.ts";
import type { Reply } from "../reply.ts";
import type { AttemptContext } from "../stage.ts";

/**
 * A fault of the gateway's own code inside an attempt (a bug, a stack overflow building the
 * upstream request): not an upstream failure, so it must reach the client as a 500 internal_error,
 * never as a 502 "could not reach…". The router still records the attempt as failed.
 */
export class InternalAttemptError extends Error {
  override readonly cause: unknown;
  constructor(cause: unknown) {
    super("internal error in an attempt");
    this.name = "InternalAttemptError";
    this.cause = cause;
  }
}

/** Programming faults, as opposed to I/O failures (undici's and Node's carry a `code`). */
function isInternalFault(error: unknown): boolean {
  if (error instanceof GatewayError) return false;
  if (error instanceof RangeError || error instanceof ReferenceError) return true;
  return error instanceof TypeError && !("code" in error);
}

/** The innermost attempt step: the endpoint's call to the provider with this attempt's body and target. */
export async function callProvider(a: AttemptContext): Promise<Reply> {
  try {
    return await a.request.endpoint.call(a.provider, a.body, a.target, a.signal);
  } catch (error) {
    throw isInternalFault(error) ? new InternalAttemptError(error) : error;
  }
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
