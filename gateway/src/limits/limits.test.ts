import type { RequestEvent } from "@switchyard/events";
import { Scopes } from "@switchyard/platform";
import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { admin, chatWith, LimitsHarness } from "./limits-test-support.ts";

let harness: LimitsHarness;
beforeEach(async () => {
  harness = await LimitsHarness.open();
});
afterEach(async () => {
  await harness.close();
});

const spendOf = (events: RequestEvent[]) => events.reduce((sum, e) => sum + e.cost_nano_usd, 0);

describe("limits, embedded", () => {
  it("holds a budget exactly under 40 concurrent requests: recorded spend never exceeds credit_limit", async () => {
    const gw = await harness.gateway();
    expect((await gw.app.inject(admin("POST", "/tenants", { id: "default" }))).statusCode).toBe(201);
    // gpt-4o-mini with max_tokens 100: a worst case of ~$0.0000625, so $0.0003 fits a handful at once.
    const put = await gw.app.inject(
      admin("PUT", "/tenants/default/limits", { usage_limits: { type: "cost", credit_limit: 0.0003 } }),
    );
    expect(put.statusCode).toBe(200);
    const answers = await Promise.all(Array.from({ length: 40 }, () => gw.app.inject(chatWith())));
    const ok = answers.filter((a) => a.statusCode === 200);
    const refused = answers.filter((a) => a.statusCode === 412);
    expect(ok.length + refused.length).toBe(40);
    expect(ok.length).toBeGreaterThanOrEqual(4);
    expect(refused.length).toBeGreaterThan(0);
    const body = refused[0]!.json();
    expect(body.error.type).toBe("budget_exceeded");
    expect(body.error.message).toMatch(/tenant#budget_cost exhausted: \$[0-9.]+ of \$0\.0003 used/);
    expect(refused[0]!.headers["x-switchyard-budget-limit"]).toBe("$0.0003");
    const events = await gw.sink.waitFor(40);
    expect(spendOf(events)).toBeLessThanOrEqual(300_000);
    const refusedEvent = events.find((e) => e.status_code === 412)!;
    expect(refusedEvent.limit_checks).toEqual([
      { limit_id: "tenant#budget_cost", kind: "budget", metric: "cost", allowed: false },
    ]);
    // The live counter settled to exactly what the events recorded.
    const usage = await gw.app.inject({ method: "GET", url: "/v1/analytics/limits" });
    const [limit] = usage.json().data;
    expect(limit).toMatchObject({ limit_id: "tenant#budget_cost", limit: 0.0003, reset_at: null });
    expect(Math.round(limit.spend * 1e9)).toBe(spendOf(events));
  });

  it("rpm at the window boundary: the limit passes, the next is 429 with retry-after, the next minute passes again", async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 58, 0);
    const gw = await harness.gateway({ now: () => now });
    await gw.app.inject(admin("POST", "/tenants", { id: "default" }));
    await gw.app.inject(
      admin("PUT", "/tenants/default/limits", { rate_limits: [{ type: "requests", unit: "rpm", value: 3 }] }),
    );
    for (let i = 0; i < 3; i++) {
      const ok = await gw.app.inject(chatWith());
      expect(ok.statusCode).toBe(200);
      expect(ok.headers["x-ratelimit-limit-requests"]).toBe("3");
      expect(ok.headers["x-ratelimit-remaining-requests"]).toBe(String(2 - i));
    }
    now += 1_999; // 12:00:59.999, still the same window
    const refused = await gw.app.inject(chatWith());
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error).toMatchObject({ type: "rate_limit_exceeded", code: "rate_limit_exceeded" });
    expect(refused.json().error.message).toContain("tenant#requests_rpm");
    expect(refused.headers["retry-after"]).toBe("1");
    expect(refused.headers["x-ratelimit-remaining-requests"]).toBe("0");
    now += 1; // 12:01:00.000, a new window
    const again = await gw.app.inject(chatWith());
    expect(again.statusCode).toBe(200);
    expect(again.headers["x-ratelimit-remaining-requests"]).toBe("2");
  });

  it("a per-user policy via x-portkey-metadata: each end user has their own counter", async () => {
    const gw = await harness.gateway();
    await gw.app.inject(admin("POST", "/tenants", { id: "default" }));
    const put = await gw.app.inject(
      admin("PUT", "/tenants/default/limit-policies/per-user", {
        group_by: [{ key: "metadata._user" }],
        rate_limits: [{ type: "requests", unit: "rpm", value: 2 }],
      }),
    );
    expect(put.statusCode).toBe(200);
    const alice = { metadata: { _user: "alice" } };
    expect((await gw.app.inject(chatWith(alice))).statusCode).toBe(200);
    expect((await gw.app.inject(chatWith(alice))).statusCode).toBe(200);
    const third = await gw.app.inject(chatWith(alice));
    expect(third.statusCode).toBe(429);
    expect(third.json().error.message).toContain("per-user#requests_rpm[alice]");
    expect((await gw.app.inject(chatWith({ metadata: { _user: "bob" } }))).statusCode).toBe(200);
    // No _user: not under the per-user policy at all.
    expect((await gw.app.inject(chatWith())).statusCode).toBe(200);
    const usage = (await gw.app.inject({ method: "GET", url: "/v1/analytics/limits" })).json().data;
    expect(usage).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ limit_id: "per-user#requests_rpm[alice]", spend: 2, remaining: 0 }),
        expect.objectContaining({ limit_id: "per-user#requests_rpm[bob]", spend: 1, remaining: 1 }),
      ]),
    );
  });

  it("crossing alert_threshold emits one alert event per period", async () => {
    const gw = await harness.gateway();
    await gw.app.inject(admin("POST", "/tenants", { id: "default" }));
    await gw.app.inject(
      admin("PUT", "/tenants/default/limits", {
        usage_limits: { type: "requests", credit_limit: 10, alert_threshold: 2, periodic_reset: "daily" },
      }),
    );
    for (let i = 0; i < 5; i++) expect((await gw.app.inject(chatWith())).statusCode).toBe(200);
    await gw.sink.waitFor(5);
    const deadline = Date.now() + 5000;
    while (gw.alerts.length === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(gw.alerts).toHaveLength(1);
    expect(gw.alerts[0]).toMatchObject({
      tenant_id: "default",
      limit_id: "tenant#budget_requests",
      metric: "requests",
      credit_limit: 10,
      alert_threshold: 2,
      spend: 2,
    });
  });

  it("a cache hit counts toward request limits, not toward tokens", async () => {
    const gw = await harness.gateway();
    await gw.app.inject(admin("POST", "/tenants", { id: "default" }));
    await gw.app.inject(
      admin("PUT", "/tenants/default/limits", {
        usage_limits: { type: "tokens", credit_limit: 100_000 },
        rate_limits: [{ type: "requests", unit: "rpd", value: 100 }],
      }),
    );
    const cached = chatWith({
      headers: { "x-portkey-config": '{"provider":"mock","cache":{"mode":"simple","max_age":600}}' },
    });
    delete (cached.headers as Record<string, string>)["x-portkey-provider"];
    expect((await gw.app.inject(cached)).statusCode).toBe(200);
    const hit = await gw.app.inject(cached);
    expect(hit.headers["x-portkey-cache-status"]).toBe("HIT");
    const [first] = await gw.sink.waitFor(2);
    const usage = (await gw.app.inject({ method: "GET", url: "/v1/analytics/limits" })).json().data;
    expect(usage.find((l: { metric: string }) => l.metric === "requests").spend).toBe(2);
    const tokens = first!.usage.input_tokens + first!.usage.output_tokens;
    expect(usage.find((l: { metric: string }) => l.metric === "tokens").spend).toBe(tokens);
  });

  it("Prometheus gauges for spend and remaining, and a refusal counter", async () => {
    const mem = inMemoryTelemetry({ tracing: false });
    const gw = await harness.gateway({ meter: mem.telemetry.meter(Scopes.gateway) });
    await gw.app.inject(admin("POST", "/tenants", { id: "default" }));
    await gw.app.inject(
      admin("PUT", "/tenants/default/limits", { usage_limits: { type: "requests", credit_limit: 2 } }),
    );
    for (let i = 0; i < 3; i++) await gw.app.inject(chatWith());
    const text = await mem.telemetry.scrapeMetrics!();
    const series = 'tenant_id="default",limit_id="tenant#budget_requests",metric="requests"';
    expect(text).toContain(`switchyard_limit_spend{${series},otel_scope_name="switchyard.gateway"} 2`);
    expect(text).toContain(`switchyard_limit_remaining{${series},otel_scope_name="switchyard.gateway"} 0`);
    expect(text).toMatch(/switchyard_limit_refusals_total\{[^}]*kind="budget"[^}]*\} 1/);
  });

  it("refuses a cost budget's request that cannot be priced, with a 412 saying why", async () => {
    const gw = await harness.gateway();
    await gw.app.inject(admin("POST", "/tenants", { id: "default" }));
    await gw.app.inject(admin("PUT", "/tenants/default/limits", { usage_limits: { type: "cost", credit_limit: 5 } }));
    const answer = await gw.app.inject(chatWith({ model: "my-own-finetune-xyz" }));
    expect(answer.statusCode).toBe(412);
    expect(answer.json().error.message).toMatch(/model my-own-finetune-xyz on provider mock has no price/);
  });

  it("admin reset: spend before the reset stops counting", async () => {
    const gw = await harness.gateway();
    await gw.app.inject(admin("POST", "/tenants", { id: "default" }));
    await gw.app.inject(
      admin("PUT", "/tenants/default/limits", { usage_limits: { type: "requests", credit_limit: 2 } }),
    );
    expect((await gw.app.inject(chatWith())).statusCode).toBe(200);
    expect((await gw.app.inject(chatWith())).statusCode).toBe(200);
    expect((await gw.app.inject(chatWith())).statusCode).toBe(412);
    expect((await gw.app.inject(admin("POST", "/tenants/default/limits/reset"))).statusCode).toBe(200);
    expect((await gw.app.inject(chatWith())).statusCode).toBe(200);
  });

  it.each([
    [{ usage_limits: { type: "cost", credit_limit: -1 } }, "usage_limits.credit_limit"],
    [{ usage_limits: { type: "cost", credit_limit: 0 } }, "usage_limits.credit_limit"],
    [{ rate_limits: [{ type: "requests", unit: "rpw", value: 5 }] }, "rate_limits.0.unit"],
    [{ usage_limits: { type: "cost", credit_limit: 10, alert_threshold: 20 } }, "usage_limits.alert_threshold"],
    [
      { usage_limits: { type: "cost", credit_limit: 10, periodic_reset: "monthly", periodic_reset_days: 7 } },
      "usage_limits.periodic_reset_days",
    ],
    [{ rate_limits: [{ type: "requests", unit: "rpm", value: 0 }] }, "rate_limits.0.value"],
  ])("bad limits are a 400 naming the field: %j", async (body, param) => {
    const gw = await harness.gateway();
    await gw.app.inject(admin("POST", "/tenants", { id: "default" }));
    const answer = await gw.app.inject(admin("PUT", "/tenants/default/limits", body));
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error.param).toBe(param);
  });
});
