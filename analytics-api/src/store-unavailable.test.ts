import { createServer } from "node:net";
import { ClickHouseLogLevel, createClient } from "@clickhouse/client";
import type { ClickHouse } from "@switchyard/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAnalyticsApp } from "./app.ts";
import { silentLogger, testKeyStore } from "./test-support.ts";

/** A port nothing listens on: bound, read, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("analytics API with ClickHouse unreachable", () => {
  let clickhouse: ClickHouse;
  beforeAll(async () => {
    const client = createClient({
      url: `http://127.0.0.1:${await closedPort()}`,
      request_timeout: 2_000,
      log: { level: ClickHouseLogLevel.OFF },
    });
    // A server handle's extra sessions share its client, as createClickHouse's do.
    const handle = (close: () => Promise<void>): ClickHouse => ({
      kind: "server",
      database: "switchyard",
      client,
      openSession: async () => handle(async () => {}),
      close,
    });
    clickhouse = handle(() => client.close());
  });
  afterAll(async () => {
    await clickhouse?.close();
  });

  it("answers 503 store_unavailable and reports degraded health", async () => {
    const app = buildAnalyticsApp({ clickhouse, keyStore: testKeyStore(), logger: silentLogger() });
    const costs = await app.inject({
      method: "GET",
      url: "/v1/analytics/costs",
      headers: { authorization: "Bearer sk-test-admin" },
    });
    expect(costs.statusCode).toBe(503);
    expect(costs.json().error).toMatchObject({ code: "store_unavailable", type: "api_error" });
    const health = await app.inject({ method: "GET", url: "/health" });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ status: "degraded" });
    await app.close();
  });
});
