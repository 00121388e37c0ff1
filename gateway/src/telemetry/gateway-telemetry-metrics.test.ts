import { describe, expect, it } from "vitest";
import { APP_TRACE, body, setup, traceparent, usage } from "./telemetry-test-fixtures.ts";

describe("gateway telemetry: tracing off", () => {
  it("creates no spans, keeps the application's trace id for the event and passes its traceparent on", async () => {
    const { gateway, spans, telemetry } = setup({ tracing: false });
    expect(gateway.tracing).toBe(false);
    const t = gateway.startRequest({ incomingHeaders: { traceparent, tracestate: "vendor=x" } });
    t.setRequest(body);
    const a = t.attempt({ provider: "openai", model: "gpt-4o-mini", targetPath: "config", retry: 0 });
    expect(a.injectHeaders()).toEqual({ traceparent, tracestate: "vendor=x" });
    a.end({ status: 200 });
    t.end({ statusCode: 200, errorType: null, provider: "openai", usage });
    expect(spans()).toEqual([]);
    expect(t.recording).toBe(false);
    expect(t.traceIds()).toEqual({ otelTraceId: APP_TRACE, otelSpanId: null });
    expect(t.recordHeaders()).toEqual({ traceparent, tracestate: "vendor=x" });
    // Metrics are still recorded.
    expect(await telemetry.scrapeMetrics!()).toContain("gen_ai_client_operation_duration_count");

    const fresh = gateway.startRequest({ incomingHeaders: { traceparent: "nonsense" } });
    expect(fresh.traceIds()).toEqual({ otelTraceId: null, otelSpanId: null });
    expect(fresh.injectHeaders()).toEqual({});
    expect(fresh.recordHeaders()).toBeUndefined();
  });
});

describe("gateway telemetry: metrics", () => {
  it("records the GenAI client metrics with the convention's units and buckets, and Switchyard's own", async () => {
    const { gateway, telemetry } = setup();
    const ok = gateway.startRequest({ incomingHeaders: {}, startedAt: performance.now() - 30 });
    ok.setRequest({ ...body, stream: true });
    ok.attempt({
      provider: "openai",
      model: "gpt-4o-mini",
      serverAddress: "api.openai.com",
      serverPort: 443,
      targetPath: "config",
      retry: 0,
    }).end({ status: 200 });
    ok.firstToken();
    ok.end({
      statusCode: 200,
      errorType: null,
      provider: "openai",
      responseModel: "gpt-4o-mini",
      usage,
      costNanoUsd: 1000,
      cacheStatus: "MISS",
      tenantId: "acme",
      traceId: "t-1",
    });
    const failed = gateway.startRequest({ incomingHeaders: {} });
    failed.setRequest(body);
    failed.end({ statusCode: 502, errorType: "upstream_unreachable", provider: "openai" });
    const rejected = gateway.startRequest({ incomingHeaders: {} });
    rejected.end({ statusCode: 401, errorType: "invalid_api_key", provider: null });

    const text = await telemetry.scrapeMetrics!();
    expect(text).toMatch(/# UNIT gen_ai_client_operation_duration s/);
    expect(text).toMatch(/gen_ai_client_operation_duration_bucket\{[^}]*le="0\.01"/);
    expect(text).toMatch(/gen_ai_client_operation_duration_bucket\{[^}]*le="81\.92"/);
    expect(text).toMatch(/gen_ai_client_token_usage_bucket\{[^}]*gen_ai_token_type="input"[^}]*le="64"\} 1/);
    expect(text).toMatch(/gen_ai_client_token_usage_sum\{[^}]*gen_ai_token_type="output"[^}]*\} 17/);
    expect(text).toMatch(/gen_ai_client_operation_time_to_first_chunk_count\{[^}]*\} 1/);
    expect(text).toMatch(
      /switchyard_gateway_requests_total\{[^}]*http_response_status_code="200"[^}]*switchyard_cache_status="MISS"[^}]*\} 1/,
    );
    expect(text).toMatch(/switchyard_gateway_errors_total\{[^}]*error_type="upstream_unreachable"[^}]*\} 1/);
    expect(text).toMatch(
      /switchyard_gateway_errors_total\{[^}]*error_type="invalid_api_key"[^}]*gen_ai_provider_name="none"[^}]*\} 1/,
    );
    expect(text).toMatch(/switchyard_gateway_cost_nano_usd_total\{[^}]*\} 1000/);
    expect(text).toMatch(/switchyard_gateway_cache_lookups_total\{[^}]*switchyard_cache_status="MISS"[^}]*\} 1/);
    expect(text).toMatch(/switchyard_gateway_attempts_total\{[^}]*\} 1/);
    // Bounded labels: no tenant, Portkey trace id, OTel ids or user ever become a label.
    expect(text).not.toMatch(/tenant|trace_id|acme|t-1/);
    // A request that never reached a provider is not a GenAI operation.
    expect(text).not.toMatch(/gen_ai_client_operation_duration_count\{[^}]*gen_ai_provider_name="none"/);
  });

  it("caps a client-controlled label: past 500 distinct models, new ones count as _OTHER", async () => {
    const { gateway, telemetry } = setup({ tracing: false });
    for (let i = 0; i < 520; i++) {
      const t = gateway.startRequest({ incomingHeaders: {}, requestModel: `model-${i}` });
      t.end({ statusCode: 200, errorType: null, provider: "openai" });
    }
    const text = await telemetry.scrapeMetrics!();
    const models = new Set([...text.matchAll(/gen_ai_request_model="([^"]+)"/g)].map((m) => m[1]));
    expect(models.size).toBe(501);
    expect(models.has("_OTHER")).toBe(true);
  });
});
