/** Analytics API paths the console reads (analytics-api/src/routes). */
export const endpoints = {
  /** Any metric grouped by any dimension or `metadata.<key>`, top `limit` plus an "other" row. */
  breakdown: "/v1/analytics/breakdown",
  /** Metrics per minute/hour/day bucket, optionally per group. */
  series: "/v1/analytics/series",
  /** The request log, newest first, with a cursor. */
  requestSearch: "/v1/requests",
  /** Every request the filters match, streamed as CSV or JSONL. */
  requestExport: "/v1/requests/export",
  requestDetail: (eventId: string) => `/v1/requests/${encodeURIComponent(eventId)}`,
  trace: (traceId: string) => `/v1/traces/${encodeURIComponent(traceId)}`,
};

/** The dimensions a breakdown groups and filters by (analytics-api/src/breakdown/dimensions.ts). */
export const DIMENSIONS = [
  "model",
  "user",
  "provider",
  "tenant",
  "api_key",
  "virtual_key",
  "config",
  "prompt",
  "prompt_version",
  "endpoint",
  "status_class",
  "status_code",
  "error_type",
  "cache_status",
  "guardrail_verdict",
] as const;
