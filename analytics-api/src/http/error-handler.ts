import { type CatalogueError, type ErrorCatalogue, installEdgeErrorHandling } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { AnalyticsError } from "../errors.ts";

// Socket-level failures reaching a ClickHouse server: the store is down, not the request wrong.
const STORE_UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND"]);

/**
 * The API's own errors and an unreachable store; fastify's and Node's parser/router failures are
 * classified by the shared edge (platform/src/http), and anything else — a ClickHouse error included —
 * is a 500 `internal_error` with the details only in the log.
 */
function classify(error: unknown): CatalogueError<ErrorCatalogue> | undefined {
  if (error instanceof AnalyticsError) return error;
  if (STORE_UNREACHABLE.has((error as NodeJS.ErrnoException).code ?? "")) {
    return new AnalyticsError("store_unavailable", "the analytics store is unreachable; retry later");
  }
  return undefined;
}

/** The one error handler and the JSON 404/405: every failure leaves as an OpenAI-style error body. */
export function installErrorHandling(app: FastifyInstance): void {
  installEdgeErrorHandling(app, { service: "analytics", classify });
}
