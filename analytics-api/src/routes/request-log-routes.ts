import { Readable } from "node:stream";
import type { KeyStore } from "@switchyard/platform";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { AnalyticsError } from "../errors.ts";
import { authenticate, tenantScope } from "../http/authenticate.ts";
import { type CursorCodec, queryDigest } from "../http/cursor.ts";
import { csvHeader, csvLine, jsonLine } from "../http/export-format.ts";
import { dimensionFiltersOf, FilterFields, splitMetadataFilters } from "../http/filter-params.ts";
import { parseParams } from "../http/query-params.ts";
import { resolveWindow } from "../http/time-window.ts";
import type { RequestFilter } from "../repositories/filter-sql.ts";
import type { RequestLogRepository } from "../repositories/request-log-repository.ts";

export interface RequestLogRoutesDeps {
  keys: KeyStore;
  log: RequestLogRepository;
  cursors: CursorCodec;
  now: () => Date;
}

/** GET /v1/requests: the request log, newest first, a page at a time. */
export const RequestSearchParams = z.strictObject({
  ...FilterFields,
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(1024).optional(),
});

/** GET /v1/requests/export: every request the filters match, streamed. */
export const RequestExportParams = z.strictObject({
  ...FilterFields,
  format: z.enum(["jsonl", "csv"]).default("jsonl"),
});

export const RequestDetailParams = z.object({ eventId: z.uuid("must be a request's event id (a UUID)") });
export const RequestDetailQuery = z.strictObject({ tenant_id: FilterFields.tenant_id });

/** The filter of a search or export; `window` resolves from/to to whole minutes (default: the last 24 hours). */
function filterOf(
  request: FastifyRequest,
  deps: RequestLogRoutesDeps,
  schema: typeof RequestSearchParams | typeof RequestExportParams,
) {
  const principal = authenticate(request, deps.keys);
  const { rest, metadata } = splitMetadataFilters(request.query);
  const params = parseParams(schema, rest);
  const tenantIds = tenantScope(principal, params.tenant_id);
  const dimensions = dimensionFiltersOf(params);
  const filter: RequestFilter = {
    window: resolveWindow(params.from, params.to, "minute", deps.now()),
    tenantIds,
    dimensions,
    metadata,
    status: params.status,
  };
  // What a cursor is bound to: the caller's tenant scope and filters (not the window: the cursor carries it).
  const digest = queryDigest([tenantIds, dimensions, metadata, params.status ?? null]);
  return { params, filter, digest };
}

export function registerRequestLogRoutes(app: FastifyInstance, deps: RequestLogRoutesDeps): void {
  app.get("/v1/requests", async (request) => {
    const { params, filter, digest } = filterOf(request, deps, RequestSearchParams);
    const { limit, cursor } = params as z.infer<typeof RequestSearchParams>;
    let after = null;
    if (cursor !== undefined) {
      const state = deps.cursors.decode(cursor, digest);
      filter.window = { from: new Date(state.from), to: new Date(state.to) };
      after = { at: state.at, id: state.id };
    }
    const data = await deps.log.search(filter, limit, after);
    const last = data.at(-1);
    const nextCursor =
      data.length === limit && last !== undefined
        ? deps.cursors.encode({
            at: last.occurred_at,
            id: last.event_id,
            from: filter.window.from.getTime(),
            to: filter.window.to.getTime(),
            q: digest,
          })
        : null;
    return {
      object: "list",
      from: filter.window.from.toISOString(),
      to: filter.window.to.toISOString(),
      data,
      next_cursor: nextCursor,
    };
  });

  app.get("/v1/requests/export", async (request, reply) => {
    const { params, filter } = filterOf(request, deps, RequestExportParams);
    const format = (params as z.infer<typeof RequestExportParams>).format;
    const aborted = new AbortController();
    request.raw.once("close", () => aborted.abort());
    const rows = await deps.log.openExport(filter, aborted.signal);
    async function* body() {
      if (format === "csv") yield csvHeader();
      for await (const row of rows) yield format === "csv" ? csvLine(row) : jsonLine(row);
    }
    const stamp = filter.window.to
      .toISOString()
      .replace(/[^0-9]/g, "")
      .slice(0, 12);
    reply
      .type(format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson")
      .header("content-disposition", `attachment; filename="requests-${stamp}.${format}"`);
    return reply.send(Readable.from(body()));
  });

  app.get("/v1/requests/:eventId", async (request) => {
    const principal = authenticate(request, deps.keys);
    const { eventId } = parseParams(RequestDetailParams, request.params);
    const query = parseParams(RequestDetailQuery, request.query);
    const record = await deps.log.detail(eventId, tenantScope(principal, query.tenant_id));
    // Another tenant's request is indistinguishable from a missing one.
    if (record === null) throw new AnalyticsError("request_not_found", `no request ${eventId}`, "eventId");
    return record;
  });
}
