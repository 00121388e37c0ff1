import { createLogger } from "@switchyard/platform";
import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestGateway } from "../test-support.ts";
import { DEFAULT_CACHE_SETTINGS, ResponseCache } from "./response-cache.ts";

/**
 * Issue 12 §1 and §6: a request without a cache config answers `x-portkey-cache-status: DISABLED`;
 * the in-process store's size, entries and evictions are metrics, and the store stays within its bytes.
 */
const MAX_BYTES = 2_000;
const mem = inMemoryTelemetry();
const cache = new ResponseCache(
  { ...DEFAULT_CACHE_SETTINGS, maxBytes: MAX_BYTES },
  { logger: createLogger({ name: "test", level: "silent" }), meter: mem.telemetry.meter("cache-test") },
);
const gw = buildTestGateway({ cache });
let base = "";
beforeAll(async () => {
  base = await gw.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await gw.close();
  await cache.close();
});

async function chat(content: string, config: object) {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-portkey-config": JSON.stringify({ provider: "mock", ...config }),
    },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content }] }),
  });
  await res.text();
  return { status: res.status, cacheStatus: res.headers.get("x-portkey-cache-status") };
}

async function gauges(): Promise<Record<string, number>> {
  const collected = await mem.metrics();
  const values: Record<string, number> = {};
  for (const metric of collected.scopeMetrics.flatMap((s) => s.metrics)) {
    const point = metric.dataPoints[0];
    if (metric.descriptor.name.startsWith("switchyard.gateway.cache.") && typeof point?.value === "number")
      values[metric.descriptor.name] = point.value;
  }
  return values;
}

describe("cache status without a config, and the store's metrics", () => {
  it("a request without a cache config is DISABLED", async () => {
    expect(await chat("no cache here", {})).toEqual({ status: 200, cacheStatus: "DISABLED" });
  });

  it("entries, bytes and evictions are reported; the store keeps within its bytes", async () => {
    const config = { cache: { mode: "simple" } };
    for (let i = 0; i < 8; i++)
      expect(await chat(`question number ${i}`, config)).toMatchObject({ cacheStatus: "MISS" });
    // The newest answer is still there; the oldest went for room.
    expect((await chat("question number 7", config)).cacheStatus).toBe("HIT");
    expect((await chat("question number 0", config)).cacheStatus).toBe("MISS");
    const values = await gauges();
    expect(values["switchyard.gateway.cache.entries"]).toBeGreaterThan(0);
    expect(values["switchyard.gateway.cache.size"]).toBeGreaterThan(0);
    expect(values["switchyard.gateway.cache.size"]).toBeLessThanOrEqual(MAX_BYTES);
    expect(values["switchyard.gateway.cache.evictions"]).toBeGreaterThan(0);
    expect(values["switchyard.gateway.cache.entries"]! + values["switchyard.gateway.cache.evictions"]!).toBe(9);
  });
});
