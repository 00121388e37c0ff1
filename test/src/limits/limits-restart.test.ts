import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { OwnRedis } from "@switchyard/gateway/testing";
import type { RunningStack } from "@switchyard/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatBody, pollCosts, pollUntil, startTestStack, tempDir } from "../e2e/support.ts";

/**
 * A restart mid-period keeps the spend: the embedded stack (gateway → log → ingest → chdb) is
 * stopped after some spend and started again on the same data; the gateway rebuilds its counters
 * from ClickHouse before serving, so the budget refuses where it would have.
 */
const TOKEN = "limits-restart-admin-token-0123";

describe("limits across a restart (embedded stack)", () => {
  let dataDir: string;
  let stack: RunningStack | null = null;
  let redis: OwnRedis | null = null;
  const env = () => ({ DATA_DIR: dataDir, INGEST_FLUSH_INTERVAL_MS: "50", SWITCHYARD_ADMIN_TOKEN: TOKEN });
  const adminCall = (method: string, path: string, body?: unknown) =>
    fetch(`${stack!.gateway!.url}/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const chat = () =>
    fetch(`${stack!.gateway!.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-portkey-provider": "mock" },
      body: chatBody("spend a little", { max_tokens: 100 }),
    });
  const limits = async () => {
    const res = await fetch(`${stack!.gateway!.url}/v1/analytics/limits`);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET /v1/analytics/limits: ${res.status} ${body}`);
    return JSON.parse(body) as { data: Array<{ limit_id: string; spend: number }> };
  };

  beforeAll(async () => {
    dataDir = await tempDir("limits-restart");
    stack = await startTestStack(env());
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps a monthly budget's spend and a request budget's count", async () => {
    expect((await adminCall("POST", "/tenants", { id: "default" })).status).toBe(201);
    const put = await adminCall("PUT", "/tenants/default/limits", {
      usage_limits: { type: "requests", credit_limit: 3, periodic_reset: "monthly" },
    });
    expect(put.status).toBe(200);
    const costPolicy = await adminCall("PUT", "/tenants/default/limit-policies/model-budget", {
      conditions: [{ key: "model", value: "gpt-4o-mini" }],
      usage_limits: { type: "cost", credit_limit: 1, periodic_reset: "daily" },
    });
    expect(costPolicy.status).toBe(200);
    expect((await chat()).status).toBe(200);
    expect((await chat()).status).toBe(200);
    const before = await limits();
    const costBefore = before.data.find((l) => l.limit_id === "model-budget#budget_cost")!.spend;
    expect(costBefore).toBeGreaterThan(0);
    // Both requests are in ClickHouse before the restart (ingest projects them within ~50 ms).
    await pollCosts(stack!.analytics!.url, "group_by=model", (rows) => rows.reduce((n, r) => n + r.requests, 0) === 2);

    await stack!.stop();
    stack = await startTestStack(env());

    const after = await limits();
    expect(after.data.find((l) => l.limit_id === "tenant#budget_requests")).toMatchObject({ spend: 2 });
    expect(after.data.find((l) => l.limit_id === "model-budget#budget_cost")!.spend).toBeCloseTo(costBefore, 12);
    expect((await chat()).status).toBe(200);
    const refused = await chat();
    expect(refused.status).toBe(412);
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe("budget_exceeded");
  });

  it("with REDIS_URL, counters Redis loses are rebuilt from ClickHouse", async () => {
    await stack!.stop();
    stack = null;
    await rm(dataDir, { recursive: true, force: true });
    dataDir = await tempDir("limits-redis-lost");
    redis = await OwnRedis.start();
    stack = await startTestStack({
      ...env(),
      REDIS_URL: redis.url,
      SWITCHYARD_LIMITS_REDIS_PREFIX: `limits-lost-${randomUUID()}:`,
    });
    expect((await adminCall("POST", "/tenants", { id: "default" })).status).toBe(201);
    await adminCall("PUT", "/tenants/default/limits", {
      usage_limits: { type: "requests", credit_limit: 3, periodic_reset: "monthly" },
    });
    expect((await chat()).status).toBe(200);
    expect((await chat()).status).toBe(200);
    await pollCosts(stack.analytics!.url, "group_by=model", (rows) => rows.reduce((n, r) => n + r.requests, 0) === 2);
    await redis.flushAll();
    // The next reservation sees the counters gone, is admitted against an empty counter, and
    // triggers the rebuild: the spend comes back from ClickHouse.
    expect((await chat()).status).toBe(200);
    await pollUntil(async () => {
      const spend = (await limits()).data.find((l) => l.limit_id === "tenant#budget_requests")?.spend ?? 0;
      return spend >= 3 ? spend : undefined;
    }, "budget spend rebuilt after Redis lost it");
    const refused = await chat();
    expect(refused.status).toBe(412);
  });
});
