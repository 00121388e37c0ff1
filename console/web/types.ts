/** Shapes of the analytics API's answers the console reads (analytics-api/src/routes). */

export interface Windowed<T> {
  from: string;
  to: string;
  data: T[];
}

/** A breakdown row: the group's key and the metrics asked for (null when undefined, e.g. a rate of nothing). */
export interface BreakdownRow {
  key: string | null;
  is_other?: true;
  [metric: string]: number | string | boolean | null | undefined;
}

export interface SeriesRow extends BreakdownRow {
  bucket: string;
}

/** One line of the request log (GET /v1/requests). */
export interface LogLine {
  event_id: string;
  occurred_at: string;
  tenant_id: string;
  trace_id: string;
  user: string | null;
  model: string;
  provider: string;
  status_code: number;
  latency_ms: number;
  input_tokens: number;
  output_tokens: number;
  cost_nano_usd: number;
  cache_status: string;
}

export interface CostRow {
  key: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_nano_usd: number;
  cost_usd: number;
}

export interface TimeseriesRow {
  bucket: string;
  key: string | null;
  requests: number;
  cost_usd: number;
  input_tokens: number;
  output_tokens: number;
}

export interface Attempt {
  provider: string;
  model?: string | null;
  status_code: number | null;
  latency_ms?: number | null;
  error_type?: string | null;
  [field: string]: unknown;
}

/** One stored request (the RequestEvent plus ingested_at), as the trace and request endpoints return it. */
export interface RequestRecord {
  event_id: string;
  occurred_at: string;
  tenant_id: string;
  trace_id: string;
  endpoint: string;
  stream: boolean;
  model_requested: string;
  model_used: string | null;
  provider: string;
  metadata: Record<string, string>;
  user: string | null;
  status_code: number;
  error_type: string | null;
  error_message: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  gateway_overhead_ms: number;
  usage: Record<string, number | boolean>;
  cost_nano_usd: number;
  cost_breakdown: Record<string, number>;
  cache_status: string;
  retry_count: number;
  attempts: Attempt[];
  cost_saved_nano_usd?: number;
  prompt_id?: string | null;
  prompt_version?: number | null;
  prompt_label?: string | null;
  guardrail_hooks?: GuardrailHook[];
  limit_checks?: LimitCheck[];
  bodies?: { request: string; response: string; truncated: boolean } | null;
  [field: string]: unknown;
}

export interface GuardrailHook {
  hook_id: string;
  hook_type: string;
  verdict: boolean;
  deny: boolean;
  transformed: boolean;
  latency_ms: number;
}

export interface LimitCheck {
  limit_id: string;
  kind: string;
  metric: string;
  allowed: boolean;
}

export interface TraceAnswer {
  trace_id: string;
  requests: RequestRecord[];
}
