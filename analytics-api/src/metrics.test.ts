import type { ClickHouse } from "@switchyard/platform";
import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { describe, expect, it } from "vitest";
import { buildAnalyticsApp } from "./app.ts";
import { silentLogger, testKeyStore } from "./test-support.ts";

/** /health only pings; nothing else of ClickHouse is needed to test /metrics. */
const pingOnly = {
  kind: "server",
  database: "switchyard",
  client: { ping: async () => ({ success: true }) } as unknown as ClickHouse["client"],
  close: async () => undefined,
} as ClickHouse;

describe("analytics API /metrics", () => {
  it("serves the Prometheus text format with request durations labelled by route template", async () => {
    const { telemetry } = inMemoryTelemetry();
    const app = buildAnalyticsApp({
      clickhouse: pingOnly,
      keyStore: testKeyStore(),
      logger: silentLogger(),
      telemetry,
    });
    for (let i = 0; i < 2; i++) expect((await app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
    const missing = await app.inject({ method: "GET", url: "/v1/traces/some-trace-id" });
    expect(missing.statusCode).toBe(401);

    const scraped = await app.inject({ method: "GET", url: "/metrics" });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = scraped.body;
    expect(text).toMatch(/# TYPE http_server_request_duration histogram/);
    expect(text).toMatch(/http_server_request_duration_count\{[^}]*http_route="\/health"[^}]*\} 2/);
    // The route template, never the trace id in the URL.
    expect(text).toMatch(/http_route="\/v1\/traces\/:traceId"/);
    expect(text).not.toContain("some-trace-id");
    await app.close();
  });

  it("has no /metrics when the Prometheus exporter is off", async () => {
    const app = buildAnalyticsApp({ clickhouse: pingOnly, keyStore: testKeyStore(), logger: silentLogger() });
    expect((await app.inject({ method: "GET", url: "/metrics" })).statusCode).toBe(404);
    await app.close();
  });
});
