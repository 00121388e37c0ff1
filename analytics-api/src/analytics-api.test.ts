import { makeRequestEvent } from "@switchyard/ingest/testing";
import { KeyStore } from "@switchyard/platform";
import type { TestClickHouse } from "@switchyard/platform/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAnalyticsApp } from "./app.ts";
import { analyticsOver, silentLogger, TEST_KEYS } from "./test-support.ts";

const NOW = new Date("2025-06-02T00:00:00.000Z");
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

const events = [
  makeRequestEvent({
    tenant_id: "acme",
    user: "alice",
    model_used: "gpt-4o",
    provider: "openai",
    cost_nano_usd: 5_000,
    occurred_at: "2025-06-01T10:05:00.000Z",
  }),
  makeRequestEvent({
    tenant_id: "acme",
    user: "alice",
    model_used: "gpt-4o",
    provider: "openai",
    cost_nano_usd: 3_000,
    occurred_at: "2025-06-01T11:10:00.000Z",
  }),
  makeRequestEvent({
    tenant_id: "acme",
    user: "bob",
    model_used: "claude-sonnet-4",
    provider: "anthropic",
    cost_nano_usd: 2_000,
    occurred_at: "2025-06-01T11:20:00.000Z",
  }),
  makeRequestEvent({
    tenant_id: "acme",
    user: null,
    model_used: "gpt-4o-mini",
    provider: "openai",
    cost_nano_usd: 500,
    occurred_at: "2025-06-01T12:00:00.000Z",
  }),
  makeRequestEvent({
    tenant_id: "globex",
    user: "carol",
    model_used: "gpt-4o",
    provider: "openai",
    cost_nano_usd: 40_000,
    occurred_at: "2025-06-01T10:30:00.000Z",
  }),
];

describe("analytics API", () => {
  let db: TestClickHouse;
  let app: FastifyInstance;

  beforeAll(async () => {
    ({ db, app } = await analyticsOver(events, NOW));
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const get = (url: string, headers: Record<string, string> = bearer(TEST_KEYS.admin)) =>
    app.inject({ method: "GET", url, headers });

  describe("costs", () => {
    it("groups a tenant's costs by model, most expensive first, over the last 24 hours by default", async () => {
      const response = await get("/v1/analytics/costs", bearer(TEST_KEYS.acme));
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({
        from: "2025-06-01T00:00:00.000Z",
        to: "2025-06-02T00:00:00.000Z",
        group_by: "model",
      });
      expect(body.data).toEqual([
        {
          key: "gpt-4o",
          requests: 2,
          input_tokens: 200,
          output_tokens: 100,
          cache_read_tokens: 0,
          cache_write_tokens: 0,
          reasoning_tokens: 0,
          cost_nano_usd: 8_000,
          cost_usd: 0.000008,
        },
        expect.objectContaining({ key: "claude-sonnet-4", requests: 1, cost_nano_usd: 2_000 }),
        expect.objectContaining({ key: "gpt-4o-mini", requests: 1, cost_nano_usd: 500, cost_usd: 5e-7 }),
      ]);
    });

    it.each([
      [
        "user",
        [
          ["alice", 8_000],
          ["bob", 2_000],
          [null, 500],
        ],
      ],
      [
        "provider",
        [
          ["openai", 8_500],
          ["anthropic", 2_000],
        ],
      ],
      ["tenant", [["acme", 10_500]]],
    ])("groups by %s", async (groupBy, expected) => {
      const response = await get(`/v1/analytics/costs?group_by=${groupBy}`, { "x-portkey-api-key": TEST_KEYS.acme });
      expect(response.statusCode).toBe(200);
      expect(response.json().data.map((d: { key: string; cost_nano_usd: number }) => [d.key, d.cost_nano_usd])).toEqual(
        expected,
      );
    });

    it("lets an admin see every tenant or filter to one", async () => {
      const all = (await get("/v1/analytics/costs?group_by=tenant")).json();
      expect(all.data.map((d: { key: string }) => d.key)).toEqual(["globex", "acme"]);
      const globex = (await get("/v1/analytics/costs?group_by=tenant&tenant_id=globex")).json();
      expect(globex.data).toEqual([expect.objectContaining({ key: "globex", requests: 1, cost_nano_usd: 40_000 })]);
    });

    it("binds filter values as parameters, never as SQL", async () => {
      const injected = encodeURIComponent("acme' OR '1'='1");
      const response = await get(`/v1/analytics/costs?group_by=tenant&tenant_id=${injected}`);
      expect(response.statusCode).toBe(200);
      expect(response.json().data).toEqual([]);
    });

    it("reads tenant_id as a comma-separated list, empty meaning no filter (Grafana csv format)", async () => {
      const keys = async (url: string, key: string = TEST_KEYS.admin) =>
        (await get(url, bearer(key))).json().data.map((d: { key: string }) => d.key);
      expect(await keys("/v1/analytics/costs?group_by=tenant&tenant_id=acme,globex")).toEqual(["globex", "acme"]);
      expect(await keys("/v1/analytics/costs?group_by=tenant&tenant_id=%20acme%20,")).toEqual(["acme"]);
      expect(await keys("/v1/analytics/costs?group_by=tenant&tenant_id=")).toEqual(["globex", "acme"]);
      expect(await keys("/v1/analytics/costs?group_by=tenant&tenant_id=", TEST_KEYS.acme)).toEqual(["acme"]);
      expect(await keys("/v1/analytics/costs?group_by=tenant&tenant_id=acme,acme", TEST_KEYS.acme)).toEqual(["acme"]);
      const mixed = await get("/v1/analytics/costs?tenant_id=acme,globex", bearer(TEST_KEYS.acme));
      expect(mixed.statusCode).toBe(403);
    });

    it("never shows a tenant key another tenant's data", async () => {
      const own = (await get("/v1/analytics/costs?group_by=tenant", bearer(TEST_KEYS.globex))).json();
      expect(own.data.map((d: { key: string }) => d.key)).toEqual(["globex"]);
      const other = await get("/v1/analytics/costs?tenant_id=acme", bearer(TEST_KEYS.globex));
      expect(other.statusCode).toBe(403);
      expect(other.json().error).toMatchObject({ code: "tenant_forbidden", param: "tenant_id" });
    });

    it("rounds the window out to whole hours and honours explicit bounds", async () => {
      const response = await get(
        "/v1/analytics/costs?from=2025-06-01T11:30:00Z&to=2025-06-01T11:45:00%2B00:00",
        bearer(TEST_KEYS.acme),
      );
      const body = response.json();
      expect(body.from).toBe("2025-06-01T11:00:00.000Z");
      expect(body.to).toBe("2025-06-01T12:00:00.000Z");
      expect(body.data.map((d: { key: string; requests: number }) => [d.key, d.requests])).toEqual([
        ["gpt-4o", 1],
        ["claude-sonnet-4", 1],
      ]);
    });
  });

  describe("timeseries", () => {
    it("returns one point per hour and group", async () => {
      const body = (await get("/v1/analytics/timeseries?group_by=provider", bearer(TEST_KEYS.acme))).json();
      expect(body.data).toEqual([
        {
          bucket: "2025-06-01T10:00:00.000Z",
          key: "openai",
          requests: 1,
          cost_nano_usd: 5_000,
          cost_usd: 0.000005,
          input_tokens: 100,
          output_tokens: 50,
        },
        expect.objectContaining({ bucket: "2025-06-01T11:00:00.000Z", key: "anthropic", requests: 1 }),
        expect.objectContaining({ bucket: "2025-06-01T11:00:00.000Z", key: "openai", cost_nano_usd: 3_000 }),
        expect.objectContaining({ bucket: "2025-06-01T12:00:00.000Z", key: "openai", cost_nano_usd: 500 }),
      ]);
    });

    it("rolls hours up into days (epoch-millisecond bounds accepted)", async () => {
      const from = Date.parse("2025-05-31T00:00:00Z");
      const body = (await get(`/v1/analytics/timeseries?interval=day&group_by=tenant&from=${from}`)).json();
      expect(body.data).toEqual([
        expect.objectContaining({
          bucket: "2025-06-01T00:00:00.000Z",
          key: "acme",
          requests: 4,
          cost_nano_usd: 10_500,
        }),
        expect.objectContaining({
          bucket: "2025-06-01T00:00:00.000Z",
          key: "globex",
          requests: 1,
          cost_nano_usd: 40_000,
        }),
      ]);
    });
  });

  describe("validation and errors", () => {
    it.each([
      ["/v1/analytics/costs?group_by=team", "group_by"],
      ["/v1/analytics/costs?from=yesterday", "from"],
      ["/v1/analytics/costs?from=2025-06-01T10:00:00Z&to=2025-06-01T09:00:00Z", "to"],
      ["/v1/analytics/timeseries?interval=week", "interval"],
      [`/v1/analytics/costs?tenant_id=${"x".repeat(300)}`, "tenant_id"],
      // Outside ClickHouse's DateTime64 range these were a 500 from the store (Code 457).
      ["/v1/analytics/costs?to=999999999999999", "to"],
      ["/v1/analytics/costs?from=9999-01-01T00:00:00Z&to=9999-01-02T00:00:00Z", "from"],
      ["/v1/analytics/costs?from=0000-01-01T00:00:00Z&to=0000-01-02T00:00:00Z", "from"],
      ["/v1/analytics/timeseries?to=999999999999999", "to"],
      ["/v1/analytics/timeseries?interval=day&from=9999-12-30T00:00:00Z&to=9999-12-31T00:00:00Z", "from"],
      ["/v1/analytics/timeseries?to=0000-01-02T00:00:00Z", "to"],
    ])("%s → 400 naming %s", async (url, param) => {
      const response = await get(url);
      expect(response.statusCode).toBe(400);
      const { error } = response.json();
      expect(error).toMatchObject({ type: "invalid_request_error", param, code: "invalid_parameter" });
      expect(error.message).toContain(param);
    });

    it("names the accepted range when a bound is out of it", async () => {
      const { error } = (await get("/v1/analytics/timeseries?to=999999999999999")).json();
      expect(error.message).toContain("1970-01-01T00:00:00.000Z");
      expect(error.message).toContain("2100-01-01T00:00:00.000Z");
      const edge = await get("/v1/analytics/costs?from=2099-12-31T00:00:00Z&to=2100-01-01T00:00:00Z");
      expect(edge.statusCode).toBe(200);
    });

    it.each([
      [{}, "missing_api_key"],
      [bearer("sk-nope"), "invalid_api_key"],
      [bearer(TEST_KEYS.revoked), "revoked_api_key"],
    ])("rejects %j with 401 %s", async (headers, code) => {
      const response = await get("/v1/analytics/costs", headers);
      expect(response.statusCode).toBe(401);
      expect(response.json().error).toMatchObject({ type: "authentication_error", code });
    });

    it("refuses a key whose scope list lacks analytics.read, on every read", async () => {
      for (const path of ["/v1/analytics/costs", "/v1/analytics/breakdown", "/v1/requests", "/v1/traces/t-1"]) {
        const response = await get(path, bearer(TEST_KEYS.completionsOnly));
        expect(response.statusCode).toBe(403);
        expect(response.json().error).toMatchObject({ type: "permission_error", code: "insufficient_scope" });
      }
    });

    it("answers unknown routes with a JSON 404", async () => {
      const response = await get("/v1/nope");
      expect(response.statusCode).toBe(404);
      expect(response.json().error).toMatchObject({ code: "not_found", type: "invalid_request_error" });
    });

    it("reports health without a key", async () => {
      const response = await get("/health", {});
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ status: "ok", clickhouse: { ok: true } });
    });
  });

  describe("open local-dev mode", () => {
    it("shows everything when no key is configured", async () => {
      const open = buildAnalyticsApp({
        clickhouse: db.clickhouse,
        keyStore: new KeyStore([], "default"),
        logger: silentLogger(),
        now: () => NOW,
      });
      const body = (await open.inject({ method: "GET", url: "/v1/analytics/costs?group_by=tenant" })).json();
      expect(body.data.map((d: { key: string }) => d.key)).toEqual(["globex", "acme"]);
      await open.close();
    });
  });
});
