import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { InjectOptions } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { admin, chatWith, LimitsHarness } from "./limits-test-support.ts";

/** Limits on virtual keys, API keys and tenants: where they are set, and how a route's targets use them. */
let harness: LimitsHarness;
beforeEach(async () => {
  harness = await LimitsHarness.open();
});
afterEach(async () => {
  await harness.close();
});

describe("limits on entities, embedded", () => {
  it("limits from the declarative file: on the tenant, an API key and as a policy", async () => {
    const file = join(harness.dataDir, "switchyard.yaml");
    const key = "sy-limits-file-key-0123456789";
    await writeFile(
      file,
      [
        "version: 1",
        "tenants:",
        "  - id: acme",
        "    usage_limits: { type: requests, credit_limit: 100, periodic_reset: monthly }",
        "    api_keys:",
        "      - id: ak_search",
        `        key_sha256: ${createHash("sha256").update(key).digest("hex")}`,
        "        rate_limits: [{ type: requests, unit: rpm, value: 2 }]",
        "    limit_policies:",
        "      - id: gpt4o-daily",
        "        conditions: [{ key: model, value: gpt-4o }]",
        "        usage_limits: { type: cost, credit_limit: 100, periodic_reset: daily }",
      ].join("\n"),
    );
    const gw = await harness.gateway({ file });
    const withKey = (options: InjectOptions) => ({
      ...options,
      headers: { ...options.headers, authorization: `Bearer ${key}` },
    });
    expect((await gw.app.inject(withKey(chatWith()))).statusCode).toBe(200);
    const second = await gw.app.inject(withKey(chatWith()));
    expect(second.statusCode).toBe(200);
    expect(second.headers["x-ratelimit-remaining-requests"]).toBe("0");
    const third = await gw.app.inject(withKey(chatWith()));
    expect(third.statusCode).toBe(429);
    expect(third.json().error.message).toContain("ak.ak_search#requests_rpm");
    const usage = (await gw.app.inject(withKey({ method: "GET", url: "/v1/analytics/limits" }))).json();
    expect(usage.tenant_id).toBe("acme");
    expect(usage.data.map((l: { limit_id: string }) => l.limit_id).sort()).toEqual([
      "ak.ak_search#requests_rpm",
      "gpt4o-daily#budget_cost",
      "tenant#budget_requests",
    ]);
  });

  it("a virtual key's budget applies to requests routed through it, and is named in the event", async () => {
    const gw = await harness.gateway();
    await gw.app.inject(admin("POST", "/tenants", { id: "default" }));
    for (const id of ["vk-a", "vk-b"]) {
      const created = await gw.app.inject(admin("POST", "/tenants/default/virtual-keys", { id, provider: "mock" }));
      expect(created.statusCode).toBe(201);
    }
    const put = await gw.app.inject(
      admin("PUT", "/tenants/default/virtual-keys/vk-a/limits", {
        usage_limits: { type: "requests", credit_limit: 1 },
      }),
    );
    expect(put.statusCode).toBe(200);
    const viaA = chatWith({ headers: { "x-portkey-virtual-key": "vk-a" } });
    delete (viaA.headers as Record<string, string>)["x-portkey-provider"];
    expect((await gw.app.inject(viaA)).statusCode).toBe(200);
    const refused = await gw.app.inject(viaA);
    expect(refused.statusCode).toBe(412);
    expect(refused.json().error.message).toContain("vk.vk-a#budget_requests");
    const viaB = chatWith({ headers: { "x-portkey-virtual-key": "vk-b" } });
    delete (viaB.headers as Record<string, string>)["x-portkey-provider"];
    expect((await gw.app.inject(viaB)).statusCode).toBe(200);
    const events = await gw.sink.waitFor(3);
    expect(events.map((e) => e.limit_checks)).toEqual([
      [{ limit_id: "vk.vk-a#budget_requests", kind: "budget", metric: "requests", allowed: true }],
      [{ limit_id: "vk.vk-a#budget_requests", kind: "budget", metric: "requests", allowed: false }],
      [],
    ]);
  });

  it("a fallback config goes on past a virtual key whose budget is exhausted; all exhausted is a 412", async () => {
    const gw = await harness.gateway();
    await gw.app.inject(admin("POST", "/tenants", { id: "default" }));
    for (const id of ["vk-a", "vk-b"]) {
      await gw.app.inject(
        admin("POST", "/tenants/default/virtual-keys", {
          id,
          provider: "mock",
          usage_limits: { type: "requests", credit_limit: id === "vk-a" ? 1 : 2 },
        }),
      );
    }
    const config = JSON.stringify({
      strategy: { mode: "fallback" },
      targets: [{ virtual_key: "vk-a" }, { virtual_key: "vk-b" }],
    });
    const request = chatWith({ headers: { "x-portkey-config": config } });
    delete (request.headers as Record<string, string>)["x-portkey-provider"];
    const first = await gw.app.inject(request);
    expect(first.statusCode).toBe(200);
    expect(first.headers["x-portkey-last-used-option-index"]).toBe("config.targets[0]");
    const second = await gw.app.inject(request);
    expect(second.statusCode).toBe(200);
    expect(second.headers["x-portkey-last-used-option-index"]).toBe("config.targets[1]");
    const third = await gw.app.inject(request);
    expect(third.statusCode).toBe(200);
    const fourth = await gw.app.inject(request);
    expect(fourth.statusCode).toBe(412);
    const events = await gw.sink.waitFor(4);
    // The exhausted key's attempt is refused without calling its provider, and recorded as such.
    expect(events[1]!.attempts.map((a) => [a.target_path, a.status_code, a.error_type])).toEqual([
      ["config.targets[0]", 412, "budget_exceeded"],
      ["config.targets[1]", 200, null],
    ]);
    expect(events[1]!.limit_checks).toEqual([
      { limit_id: "vk.vk-a#budget_requests", kind: "budget", metric: "requests", allowed: false },
      { limit_id: "vk.vk-b#budget_requests", kind: "budget", metric: "requests", allowed: true },
    ]);
    const usage = (await gw.app.inject({ method: "GET", url: "/v1/analytics/limits" })).json().data;
    expect(usage.map((l: { limit_id: string; spend: number }) => [l.limit_id, l.spend]).sort()).toEqual([
      ["vk.vk-a#budget_requests", 1],
      ["vk.vk-b#budget_requests", 2],
    ]);
  });

  it("usage_limits and rate_limits on the virtual key, API key and tenant bodies themselves (Portkey's field names)", async () => {
    const gw = await harness.gateway();
    const tenant = await gw.app.inject(
      admin("POST", "/tenants", { id: "default", usage_limits: { type: "tokens", credit_limit: 1_000_000 } }),
    );
    expect(tenant.statusCode).toBe(201);
    const vk = await gw.app.inject(
      admin("POST", "/tenants/default/virtual-keys", {
        id: "vk-body",
        provider: "mock",
        usage_limits: { type: "cost", credit_limit: 50, alert_threshold: 40, periodic_reset: "monthly" },
        rate_limits: [{ type: "tokens", unit: "rpm", value: 10_000 }],
      }),
    );
    expect(vk.statusCode).toBe(201);
    const key = await gw.app.inject(
      admin("POST", "/tenants/default/api-keys", { rate_limits: [{ type: "requests", unit: "rps", value: 5 }] }),
    );
    expect(key.statusCode).toBe(201);
    const shown = (await gw.app.inject(admin("GET", "/tenants/default/virtual-keys/vk-body/limits"))).json();
    expect(shown).toMatchObject({
      id: "vk.vk-body",
      usage_limits: { type: "cost", credit_limit: 50, alert_threshold: 40, periodic_reset: "monthly" },
      rate_limits: [{ type: "tokens", unit: "rpm", value: 10_000 }],
    });
    const keyLimits = await gw.app.inject(admin("GET", `/tenants/default/api-keys/${key.json().id}/limits`));
    expect(keyLimits.json().rate_limits).toEqual([{ type: "requests", unit: "rps", value: 5 }]);
    expect((await gw.app.inject(admin("GET", "/tenants/default/limits"))).json().usage_limits.type).toBe("tokens");
    // A PATCH that names only rate_limits keeps the budget.
    await gw.app.inject(admin("PATCH", "/tenants/default/virtual-keys/vk-body", { rate_limits: [] }));
    const patched = (await gw.app.inject(admin("GET", "/tenants/default/virtual-keys/vk-body/limits"))).json();
    expect(patched).toMatchObject({ usage_limits: { credit_limit: 50 }, rate_limits: [] });
    const bad = await gw.app.inject(
      admin("POST", "/tenants/default/virtual-keys", {
        provider: "mock",
        usage_limits: { type: "cost", credit_limit: -5 },
      }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe("usage_limits.credit_limit");
  });
});
