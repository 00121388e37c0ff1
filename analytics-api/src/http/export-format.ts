import type { RequestSummary } from "../repositories/request-log-repository.ts";

/** Column order of a CSV export: every field of a request-log line. */
export const CSV_COLUMNS: readonly (keyof RequestSummary)[] = [
  "event_id",
  "occurred_at",
  "tenant_id",
  "trace_id",
  "user",
  "model",
  "provider",
  "endpoint",
  "stream",
  "status_code",
  "error_type",
  "latency_ms",
  "ttft_ms",
  "input_tokens",
  "output_tokens",
  "cost_nano_usd",
  "cost_usd",
  "cost_saved_nano_usd",
  "cache_status",
  "retry_count",
  "guardrail_verdict",
  "prompt_id",
  "prompt_version",
  "metadata",
];

/**
 * One CSV field (RFC 4180 quoting). A text starting with = + - @ (or tab/CR) is prefixed with ' so a
 * spreadsheet opening the export never runs a formula a caller put in a user id or metadata value.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "object" ? JSON.stringify(value) : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvHeader = (): string => `${CSV_COLUMNS.join(",")}\r\n`;
export const csvLine = (row: RequestSummary): string => `${CSV_COLUMNS.map((c) => csvField(row[c])).join(",")}\r\n`;
export const jsonLine = (row: RequestSummary): string => `${JSON.stringify(row)}\n`;
