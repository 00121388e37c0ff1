import { SpanKind, SpanStatusCode } from "@switchyard/platform";
import { describe, expect, it } from "vitest";
import {
  APP_SPAN,
  APP_TRACE,
  body,
  byName,
  completion,
  parentOf,
  setup,
  traceparent,
  usage,
} from "./telemetry-test-fixtures.ts";

describe("gateway telemetry: request span", () => {
  it("continues the application's trace with a CLIENT span named `{operation} {model}` and GenAI attributes", () => {
    const { gateway, spans } = setup();
    const t = gateway.startRequest({ incomingHeaders: { traceparent }, startedAt: performance.now() });
    t.setRequest(body);
    const attempt = t.attempt({
      provider: "openai",
      model: "gpt-4o-mini",
      serverAddress: "api.openai.com",
      serverPort: 443,
      targetPath: "config",
      retry: 0,
    });
    attempt.end({ status: 200 });
    t.end({
      statusCode: 200,
      errorType: null,
      provider: "openai",
      responseModel: "gpt-4o-mini-2024-07-18",
      usage,
      costNanoUsd: 16_500,
      cacheStatus: "MISS",
      tenantId: "acme",
      traceId: "portkey-trace-1",
      targetPath: "config",
      retryCount: 0,
      responseBody: Buffer.from(completion),
    });

    const [request] = byName(spans(), "chat gpt-4o-mini").filter((s) => parentOf(s) === APP_SPAN);
    expect(request).toBeDefined();
    expect(request!.kind).toBe(SpanKind.CLIENT);
    expect(request!.spanContext().traceId).toBe(APP_TRACE);
    expect(request!.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.request.temperature": 0.2,
      "gen_ai.request.max_tokens": 64,
      "gen_ai.request.top_p": 0.9,
      "gen_ai.request.stop_sequences": ["\n"],
      "gen_ai.request.seed": 7,
      "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
      "gen_ai.response.id": "chatcmpl-123",
      "gen_ai.response.finish_reasons": ["stop"],
      "gen_ai.usage.input_tokens": 42,
      "gen_ai.usage.output_tokens": 17,
      "server.address": "api.openai.com",
      "server.port": 443,
      "switchyard.tenant.id": "acme",
      "switchyard.trace_id": "portkey-trace-1",
      "switchyard.cache.status": "MISS",
      "switchyard.cost.nano_usd": 16_500,
      "switchyard.target.path": "config",
    });
    expect(request!.attributes["error.type"]).toBeUndefined();
    expect(request!.status.code).toBe(SpanStatusCode.UNSET);
    // No content unless the capture option is on.
    expect(request!.attributes["gen_ai.input.messages"]).toBeUndefined();
    expect(request!.attributes["gen_ai.output.messages"]).toBeUndefined();

    expect(t.traceIds()).toEqual({ otelTraceId: APP_TRACE, otelSpanId: request!.spanContext().spanId });
    expect(t.recordHeaders()).toEqual({ traceparent: `00-${APP_TRACE}-${request!.spanContext().spanId}-01` });
  });

  it("gives each try its own child span: a fallback after a retried 503 shows three attempts", () => {
    const { gateway, spans } = setup();
    const t = gateway.startRequest({ incomingHeaders: {}, requestModel: "gpt-4o" });
    const tries = [
      { provider: "openai", model: "gpt-4o", targetPath: "config.targets[0]", retry: 0, status: 503 },
      { provider: "openai", model: "gpt-4o", targetPath: "config.targets[0]", retry: 1, status: 503 },
      { provider: "anthropic", model: "claude-sonnet-4-5", targetPath: "config.targets[1]", retry: 0, status: 200 },
    ];
    const upstreamHeaders: Record<string, string>[] = [];
    for (const { status, ...start } of tries) {
      const a = t.attempt({ ...start, serverAddress: `${start.provider}.example`, serverPort: 443 });
      upstreamHeaders.push(a.injectHeaders({ "content-type": "application/json" }));
      a.end({ status, errorType: status === 200 ? null : "upstream_503" });
    }
    t.end({ statusCode: 200, errorType: null, provider: "anthropic", usage, targetPath: "config.targets[1]" });

    const request = spans().find((s) => s.name === "chat gpt-4o" && parentOf(s) === undefined)!;
    const attempts = spans().filter((s) => parentOf(s) === request.spanContext().spanId);
    expect(
      attempts.map((s) => [
        s.name,
        s.attributes["switchyard.target.path"],
        s.attributes["switchyard.attempt.retry"] ?? 0,
      ]),
    ).toEqual([
      ["chat gpt-4o", "config.targets[0]", 0],
      ["chat gpt-4o", "config.targets[0]", 1],
      ["chat claude-sonnet-4-5", "config.targets[1]", 0],
    ]);
    expect(attempts.map((s) => s.kind)).toEqual([SpanKind.CLIENT, SpanKind.CLIENT, SpanKind.CLIENT]);
    expect(attempts[0]!.attributes).toMatchObject({ "error.type": "upstream_503", "http.response.status_code": 503 });
    expect(attempts[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[2]!.attributes).toMatchObject({
      "gen_ai.provider.name": "anthropic",
      "server.address": "anthropic.example",
      "http.response.status_code": 200,
    });
    // The first try's span is made only once a second try happens, so its upstream was told the
    // request span; every later upstream sees its own attempt span as parent, in the request's trace.
    const traceId = request.spanContext().traceId;
    expect(upstreamHeaders[0]!.traceparent).toBe(`00-${traceId}-${request.spanContext().spanId}-01`);
    upstreamHeaders.slice(1).forEach((headers, i) => {
      expect(headers.traceparent).toBe(`00-${traceId}-${attempts[i + 1]!.spanContext().spanId}-01`);
    });
    for (const headers of upstreamHeaders) expect(headers["content-type"]).toBe("application/json");
    // The retroactive span keeps the first try's real times: it ends before the second begins.
    const ns = (t: [number, number]) => t[0] * 1e9 + t[1];
    expect(ns(attempts[0]!.endTime)).toBeLessThanOrEqual(ns(attempts[1]!.startTime));
    // The request span names the upstream that answered.
    expect(request.attributes).toMatchObject({
      "gen_ai.provider.name": "anthropic",
      "server.address": "anthropic.example",
    });
  });

  it("starts a fresh trace for a malformed traceparent or baggage, and still records the request", () => {
    const { gateway, spans } = setup();
    for (const headers of [
      { traceparent: "00-not-a-trace-01" },
      { traceparent: `00-${"0".repeat(32)}-${APP_SPAN}-01` },
      { traceparent, baggage: "%%%;;==,=,\u0000" },
      { traceparent: "garbage", baggage: "k=v;;;;=" },
    ]) {
      const t = gateway.startRequest({ incomingHeaders: headers, requestModel: "m" });
      t.end({ statusCode: 200, errorType: null, provider: "mock" });
      const ids = t.traceIds();
      expect(ids.otelTraceId).toMatch(/^[0-9a-f]{32}$/);
      expect(ids.otelSpanId).toMatch(/^[0-9a-f]{16}$/);
    }
    const roots = spans();
    expect(roots).toHaveLength(4);
    // Only the valid traceparent (with bad baggage) continues the application's trace.
    expect(roots.map((s) => s.spanContext().traceId === APP_TRACE)).toEqual([false, false, true, false]);
    expect(roots.map((s) => parentOf(s) ?? null)).toEqual([null, null, APP_SPAN, null]);
  });

  it("follows an unsampled parent: nothing is recorded, the upstream still gets the trace (flags 00)", () => {
    const { gateway, spans } = setup();
    const t = gateway.startRequest({ incomingHeaders: { traceparent: `00-${APP_TRACE}-${APP_SPAN}-00` } });
    t.setRequest(body);
    const a = t.attempt({ provider: "openai", model: "gpt-4o-mini", targetPath: "config", retry: 0 });
    const upstream = a.injectHeaders();
    a.end({ status: 200 });
    t.cacheLookup().end({ status: "MISS" });
    t.end({ statusCode: 200, errorType: null, provider: "openai" });
    expect(spans()).toEqual([]);
    expect(t.recording).toBe(false);
    expect(t.traceIds().otelTraceId).toBe(APP_TRACE);
    expect(upstream.traceparent).toMatch(new RegExp(`^00-${APP_TRACE}-[0-9a-f]{16}-00$`));
  });

  it("marks failures with error.type and an ERROR status", () => {
    const { gateway, spans } = setup();
    const t = gateway.startRequest({ incomingHeaders: {}, requestModel: "gpt-4o" });
    const a = t.attempt({ provider: "openai", model: "gpt-4o", targetPath: "config", retry: 0 });
    a.end({ status: 408, errorType: "timeout" });
    t.end({ statusCode: 408, errorType: "request_timeout", provider: "openai" });
    const request = spans().find((s) => parentOf(s) === undefined)!;
    expect(request.attributes["error.type"]).toBe("request_timeout");
    expect(request.status).toEqual({ code: SpanStatusCode.ERROR, message: "request_timeout" });
  });

  it("adds cache lookup and guardrail child spans, and ends children left open", () => {
    const { gateway, spans } = setup();
    const t = gateway.startRequest({ incomingHeaders: {}, requestModel: "gpt-4o" });
    t.cacheLookup().end({ status: "MISS" });
    t.guardrail("pii-check", "input").end({ verdict: "pass" });
    t.guardrail("toxicity", "output"); // never ended by the caller
    t.end({ statusCode: 200, errorType: null, provider: "openai" });
    const request = spans().find((s) => parentOf(s) === undefined)!;
    const children = spans().filter((s) => parentOf(s) === request.spanContext().spanId);
    expect(children.map((s) => [s.name, s.kind])).toEqual([
      ["switchyard.cache.lookup", SpanKind.INTERNAL],
      ["switchyard.guardrail", SpanKind.INTERNAL],
      ["switchyard.guardrail", SpanKind.INTERNAL],
    ]);
    expect(children[0]!.attributes["switchyard.cache.status"]).toBe("MISS");
    expect(children[1]!.attributes).toMatchObject({
      "switchyard.guardrail.id": "pii-check",
      "switchyard.guardrail.stage": "input",
      "switchyard.guardrail.verdict": "pass",
    });
  });

  it("captures prompt and completion content only when the capture option is on", () => {
    const { gateway, spans } = setup({ captureContent: true });
    const t = gateway.startRequest({ incomingHeaders: {} });
    t.setRequest(body);
    t.end({ statusCode: 200, errorType: null, provider: "openai", responseBody: completion });
    const [span] = spans();
    expect(JSON.parse(String(span!.attributes["gen_ai.input.messages"]))).toEqual([
      { role: "user", parts: [{ type: "text", content: "Say hello" }] },
    ]);
    expect(JSON.parse(String(span!.attributes["gen_ai.output.messages"]))).toEqual([
      { role: "assistant", parts: [{ type: "text", content: "Hello!" }], finish_reason: "stop" },
    ]);
  });
});
