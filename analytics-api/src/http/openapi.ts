import { RequestEvent } from "@switchyard/events";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { Dimension, SOURCES } from "../breakdown/dimensions.ts";
import { Metric } from "../breakdown/metrics.ts";
import { LimitAlertsQuery } from "../routes/limit-alerts-routes.ts";
import {
  RequestDetailParams,
  RequestDetailQuery,
  RequestExportParams,
  RequestSearchParams,
} from "../routes/request-log-routes.ts";
import { BreakdownParams, SeriesParams } from "./breakdown-params.ts";
import { CostsQuery, TimeseriesQuery, TraceParams, TraceQuery } from "./query-params.ts";

/**
 * The analytics API as an OpenAPI 3.1 document, generated from the same zod schemas the routes parse
 * with (`z.toJSONSchema`, input side): a parameter documented here is exactly what the route accepts.
 */
const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return rest;
};

const PARAM_DOCS: Record<string, string> = {
  from: "Start of the window: ISO-8601 with an offset, or epoch milliseconds. Default: 24 h before `to`.",
  to: "End of the window (exclusive), same forms. Default: now.",
  tenant_id: "Comma-separated tenant ids (an admin key); a tenant key may name only its own.",
  status: "`success` (status < 400) or `error`.",
  group_by: "A dimension, or `metadata.<key>` for any metadata key.",
  metrics: "Comma-separated metrics to return (default: all but the feedback ones).",
  sort: "Metric to rank groups by.",
  limit:
    "Groups (breakdown, series) or rows (request log) to return; the rest of a breakdown folds into an `other` row.",
  cursor: "The `next_cursor` of the previous page (signed; it keeps the first page's window).",
  interval: "Bucket of a series; the window is rounded outward to whole buckets.",
};

function parameters(schema: z.ZodObject, where: "query" | "path") {
  const params: Record<string, unknown>[] = Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: where,
    required: where === "path" || !(field as z.ZodType).safeParse(undefined).success,
    schema: jsonSchema(field as z.ZodType),
    ...(PARAM_DOCS[name]
      ? { description: PARAM_DOCS[name] }
      : Dimension.safeParse(name).success
        ? { description: `Filter: any of these ${name} values (comma-separated or repeated).` }
        : {}),
  }));
  if (where === "query" && "status" in schema.shape) {
    params.push({
      name: "metadata.{key}",
      in: "query",
      required: false,
      description: "Filter on a metadata key: `metadata.team=search,ads` (key: 1-64 of A-Z a-z 0-9 _ . : -; up to 10).",
      schema: { type: "string" },
    });
  }
  return params;
}

const ErrorBody = z.object({
  error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string() }),
});
const MetricValues = z.object(
  Object.fromEntries(Metric.options.map((m) => [m, z.union([z.number(), z.string(), z.null()]).optional()])),
);
const BreakdownResponse = z.object({
  object: z.literal("analytics.breakdown"),
  from: z.string(),
  to: z.string(),
  group_by: z.string().nullable(),
  source: z.enum(SOURCES),
  data: z.array(MetricValues.extend({ key: z.string().nullable(), is_other: z.literal(true).optional() })),
});
const SeriesResponse = BreakdownResponse.extend({
  object: z.literal("analytics.series"),
  data: z.array(
    MetricValues.extend({ bucket: z.string(), key: z.string().nullable(), is_other: z.literal(true).optional() }),
  ),
});
const StoredRequest = RequestEvent.extend({ ingested_at: z.string() });

const errors = {
  "400": {
    description: "A parameter is invalid; `error.param` names it.",
    content: { "application/json": { schema: jsonSchema(ErrorBody) } },
  },
  "401": { description: "Missing, unknown or revoked API key." },
  "403": { description: "A tenant key named another tenant." },
};
const json = (schema: z.ZodType, description = "OK") => ({
  "200": { description, content: { "application/json": { schema: jsonSchema(schema) } } },
  ...errors,
});

function operation(summary: string, params: Record<string, unknown>[], responses: Record<string, unknown>) {
  return { get: { summary, parameters: params, responses, security: [{ bearer: [] }, { portkeyApiKey: [] }] } };
}

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: { title: "Switchyard analytics API", version: "1" },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        portkeyApiKey: { type: "apiKey", in: "header", name: "x-portkey-api-key" },
      },
    },
    paths: {
      "/v1/analytics/breakdown": operation(
        "Any metric grouped by any dimension",
        parameters(BreakdownParams, "query"),
        json(BreakdownResponse),
      ),
      "/v1/analytics/series": operation(
        "Metrics per minute, hour or day, per group",
        parameters(SeriesParams, "query"),
        json(SeriesResponse),
      ),
      "/v1/analytics/costs": operation(
        "Costs by user, model, provider or tenant",
        parameters(CostsQuery, "query"),
        json(z.object({ data: z.array(z.record(z.string(), z.unknown())) })),
      ),
      "/v1/analytics/timeseries": operation(
        "Costs per hour or day",
        parameters(TimeseriesQuery, "query"),
        json(z.object({ data: z.array(z.record(z.string(), z.unknown())) })),
      ),
      "/v1/traces/{traceId}": operation(
        "Every request of a trace, with bodies",
        [...parameters(TraceParams, "path"), ...parameters(TraceQuery, "query")],
        {
          ...json(z.object({ trace_id: z.string(), requests: z.array(StoredRequest) })),
          "404": { description: "No request of this trace is visible to the key." },
        },
      ),
      "/v1/requests": operation(
        "The request log, newest first",
        parameters(RequestSearchParams, "query"),
        json(
          z.object({
            object: z.literal("list"),
            from: z.string(),
            to: z.string(),
            data: z.array(z.record(z.string(), z.unknown())),
            next_cursor: z.string().nullable(),
          }),
        ),
      ),
      "/v1/requests/export": operation("The filtered request log, streamed", parameters(RequestExportParams, "query"), {
        "200": { description: "One request per line", content: { "application/x-ndjson": {}, "text/csv": {} } },
        ...errors,
      }),
      "/v1/requests/{eventId}": operation(
        "One request with attempts, checks, cost breakdown and bodies",
        [...parameters(RequestDetailParams, "path"), ...parameters(RequestDetailQuery, "query")],
        {
          ...json(StoredRequest),
          "404": { description: "No such request visible to the key." },
        },
      ),
      "/v1/analytics/limit-alerts": operation(
        "Budget alerts (a limit's spend crossed its alert_threshold), newest first",
        parameters(LimitAlertsQuery, "query"),
        json(z.object({ from: z.string(), to: z.string(), alerts: z.array(z.record(z.string(), z.unknown())) })),
      ),
      "/health": {
        get: {
          summary: "Liveness and a store round trip",
          security: [],
          responses: { "200": { description: "ok" }, "503": { description: "degraded" } },
        },
      },
    },
  };
}

/** GET /openapi.json (no auth: it describes the API, not its data). Built once. */
export function registerOpenApiRoute(app: FastifyInstance): void {
  const document = openApiDocument();
  app.get("/openapi.json", async () => document);
}
