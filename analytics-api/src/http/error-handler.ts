import {
  type CatalogueError,
  ClickHouseQueueErrorCodes,
  type ErrorCatalogue,
  installEdgeErrorHandling,
} from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { AnalyticsError } from "../errors.ts";

// Socket-level failures reaching a ClickHouse server: the store is down, not the request wrong.
const STORE_UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND"]);
// The embedded engine's own queue is full or did not get to the query in time: overloaded, retry later.
const STORE_BUSY = new Set<string>(Object.values(ClickHouseQueueErrorCodes));
// ClickHouse stopped the query at one of the bounds every statement carries (platform/src/clickhouse).
const QUERY_BOUNDS: Record<string, string> = {
  TIMEOUT_EXCEEDED: "time",
  MEMORY_LIMIT_EXCEEDED: "memory",
  TOO_MANY_ROWS_OR_BYTES: "result size",
};

/**
 * The API's own errors and an unreachable store; fastify's and Node's parser/router failures are
 * classified by the shared edge (platform/src/http), a query stopped by the store's bounds is a 422, an
 * overloaded embedded store a 503, and anything else — another ClickHouse error included — is a 500
 * `internal_error` with the details only in the log.
 */
function classify(error: unknown): CatalogueError<ErrorCatalogue> | undefined {
  if (error instanceof AnalyticsError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? "";
  if (STORE_UNREACHABLE.has(code)) {
    return new AnalyticsError("store_unavailable", "the analytics store is unreachable; retry later");
  }
  if (STORE_BUSY.has(code)) return new AnalyticsError("store_unavailable", "the analytics store is busy; retry later");
  const bound = QUERY_BOUNDS[(error as { type?: string }).type ?? ""];
  if (bound !== undefined) {
    return new AnalyticsError(
      "query_too_expensive",
      `the query exceeded the analytics store's ${bound} bound: narrow the time window, add filters or lower the limit`,
    );
  }
  return undefined;
}

/** The one error handler and the JSON 404/405: every failure leaves as an OpenAI-style error body. */
export function installErrorHandling(app: FastifyInstance): void {
  installEdgeErrorHandling(app, { service: "analytics", classify });
}
