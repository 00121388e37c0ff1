import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRequestEvent, storeRequestEvents } from "@switchyard/ingest/testing";
import { type ClickHouse, createClickHouse, runMigrations } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAnalyticsApp } from "./app.ts";
import { silentLogger, TEST_KEYS, testKeyStore } from "./test-support.ts";

/** A store whose bounds are tiny, so an ordinary read hits one: the answer names it instead of a 500. */
describe("a read stopped by the store's bounds", () => {
  let dir: string;
  let clickhouse: ClickHouse;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-bounds-"));
    clickhouse = await createClickHouse({ kind: "embedded", path: dir, limits: { maxResultRows: 5 } });
    await runMigrations(clickhouse.client);
    const now = Date.now();
    const events = Array.from({ length: 20 }, (_, i) =>
      makeRequestEvent({ tenant_id: "acme", occurred_at: new Date(now - 60_000 - i * 1000).toISOString() }),
    );
    await storeRequestEvents(clickhouse.client, events);
    app = buildAnalyticsApp({ clickhouse, keyStore: testKeyStore(), logger: silentLogger() });
  });

  afterAll(async () => {
    await app?.close();
    await clickhouse?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("answers 422 query_too_expensive naming the bound, and a narrower read still answers", async () => {
    const headers = { authorization: `Bearer ${TEST_KEYS.acme}` };
    const wide = await app.inject({ method: "GET", url: "/v1/requests?limit=50", headers });
    expect(wide.statusCode).toBe(422);
    expect(wide.json().error).toMatchObject({
      code: "query_too_expensive",
      type: "invalid_request_error",
      message: expect.stringContaining("result size"),
    });
    const narrow = await app.inject({ method: "GET", url: "/v1/requests?limit=3", headers });
    expect(narrow.statusCode).toBe(200);
    expect(narrow.json().data).toHaveLength(3);
  });
});
