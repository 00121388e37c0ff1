import { type CatalogueError, type ErrorCatalogue, installEdgeErrorHandling } from "@switchyard/platform";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { GatewayError } from "./errors.ts";

/**
 * The gateway's own errors; everything else (fastify's parser and router failures, Node's HTTP parser)
 * is classified by the shared edge (platform/src/http), and what nobody recognises is a 500
 * `internal_error` — never an upstream code, since no upstream was involved.
 */
function classify(error: unknown): CatalogueError<ErrorCatalogue> | undefined {
  return error instanceof GatewayError ? error : undefined;
}

/**
 * The one error handler: renders every failure as an OpenAI-style error body. `onRequest` runs first
 * on every request, inside the edge's own hook (the app stamps the arrival time there).
 */
export function installErrorHandling(app: FastifyInstance, onRequest?: (request: FastifyRequest) => void): void {
  installEdgeErrorHandling(app, { service: "gateway", classify, ...(onRequest ? { onRequest } : {}) });
}
