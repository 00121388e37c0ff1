import { makeRequestEvent } from "@switchyard/ingest/testing";

/** Test-only: the requests breakdown.test.ts stores (never imported at run time). */

const attempt = (status: number) => ({
  provider: "openai",
  model: "gpt-4o",
  status_code: status,
  latency_ms: 50,
  error_type: status >= 400 ? "upstream_error" : null,
  target_path: "config.targets[0]",
});

// acme: 10 gpt-4o requests (latency 100..1000), 3 claude ones (one a 502), one mini; globex: 2 requests.
export const BREAKDOWN_EVENTS = [
  ...Array.from({ length: 10 }, (_, i) =>
    makeRequestEvent({
      tenant_id: "acme",
      user: `user-${i % 4}`,
      model_used: "gpt-4o",
      latency_ms: (i + 1) * 100,
      ttft_ms: (i + 1) * 10,
      cost_nano_usd: 1_000,
      metadata: { team: i < 6 ? "search" : "ads" },
      occurred_at: `2025-06-01T${String(10 + (i % 3)).padStart(2, "0")}:0${i % 10}:00.000Z`,
      cache_status: i < 2 ? "HIT" : "MISS",
      cost_saved_nano_usd: i < 2 ? 700 : 0,
      prompt_id: i < 5 ? "pp-welcome" : null,
      prompt_version: i < 5 ? 3 : null,
      attempts: i === 0 ? [attempt(503), attempt(200)] : [attempt(200)],
    }),
  ),
  ...Array.from({ length: 3 }, (_, i) =>
    makeRequestEvent({
      tenant_id: "acme",
      user: "user-9",
      model_used: "claude-sonnet-4",
      provider: "anthropic",
      status_code: i === 0 ? 502 : 200,
      error_type: i === 0 ? "upstream_error" : null,
      cost_nano_usd: 2_000,
      metadata: { team: "ads" },
      occurred_at: "2025-06-02T08:30:00.000Z",
    }),
  ),
  makeRequestEvent({
    tenant_id: "acme",
    model_used: "gpt-4o-mini",
    cost_nano_usd: 10,
    occurred_at: "2025-06-02T09:00:00.000Z",
  }),
  makeRequestEvent({
    tenant_id: "globex",
    model_used: "gpt-4o",
    cost_nano_usd: 99_000,
    occurred_at: "2025-06-01T10:00:00.000Z",
  }),
  makeRequestEvent({
    tenant_id: "globex",
    model_used: "secret-model",
    cost_nano_usd: 1,
    occurred_at: "2025-06-01T10:00:00.000Z",
  }),
];
