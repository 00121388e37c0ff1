import { formatInt, formatTime, formatUsd, h } from "../dom.ts";
import { hrefOf } from "../state.ts";
import type { LogLine, RequestRecord } from "../types.ts";
import { dataTable, type TableColumn } from "../ui.ts";

export const usd = (nano: number) => formatUsd(nano / 1e9);
export const ms = (n: number) => formatInt(Math.round(n));

export function statusBadge(status: number): HTMLElement {
  const kind = status >= 200 && status < 300 ? "ok" : status >= 500 ? "err" : "warn";
  return h("span", { class: `badge badge-${kind}` }, String(status));
}

/** A stored request (trace view) as a log line. */
export function lineOf(r: RequestRecord): LogLine {
  return {
    event_id: r.event_id,
    occurred_at: r.occurred_at,
    tenant_id: r.tenant_id,
    trace_id: r.trace_id,
    user: r.user,
    model: r.model_used ?? r.model_requested,
    provider: r.provider,
    status_code: r.status_code,
    latency_ms: r.latency_ms,
    input_tokens: Number(r.usage.input_tokens ?? 0),
    output_tokens: Number(r.usage.output_tokens ?? 0),
    cost_nano_usd: r.cost_nano_usd,
    cache_status: r.cache_status,
  };
}

/** A table of requests; each row links to its detail page. Used by the log and the trace view. */
export function requestsTable(caption: string, filename: string, rows: LogLine[]): HTMLElement {
  const columns: TableColumn<LogLine>[] = [
    {
      label: "time",
      value: (r) => r.occurred_at,
      render: (r) => h("a", { href: hrefOf(`/requests/${encodeURIComponent(r.event_id)}`) }, formatTime(r.occurred_at)),
    },
    { label: "user", value: (r) => r.user ?? "" },
    { label: "model", value: (r) => r.model },
    { label: "provider", value: (r) => r.provider },
    { label: "status", value: (r) => r.status_code, render: (r) => statusBadge(r.status_code) },
    { label: "latency (ms)", value: (r) => r.latency_ms, render: (r) => ms(r.latency_ms), numeric: true },
    { label: "tokens in", value: (r) => r.input_tokens, render: (r) => formatInt(r.input_tokens), numeric: true },
    { label: "tokens out", value: (r) => r.output_tokens, render: (r) => formatInt(r.output_tokens), numeric: true },
    { label: "cost (USD)", value: (r) => r.cost_nano_usd / 1e9, render: (r) => usd(r.cost_nano_usd), numeric: true },
    { label: "cache", value: (r) => r.cache_status },
    {
      label: "trace",
      value: (r) => r.trace_id,
      render: (r) => h("a", { href: hrefOf(`/traces/${encodeURIComponent(r.trace_id)}`) }, r.trace_id),
    },
  ];
  return dataTable(caption, filename, columns, rows);
}
