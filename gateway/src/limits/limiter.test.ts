import { activeTelemetry, createLogger, type LimitPolicyState, Scopes } from "@switchyard/platform";
import { describe, expect, it } from "vitest";
import type { AdmitRequest } from "./limiter.ts";
import { DEFAULT_LIMITS_SETTINGS } from "./limits-config.ts";
import { createLimits } from "./limits-service.ts";

/** The limiter on its own (in-memory counters): the input bound, the memoised plan. */

const at = new Date().toISOString();
const policy = (p: Partial<LimitPolicyState>): LimitPolicyState => ({
  id: "p",
  tenant_id: "t",
  conditions: [],
  group_by: [],
  usage_limits: null,
  rate_limits: [],
  usage_reset_at: null,
  version: 1,
  created_at: at,
  updated_at: at,
  ...p,
});

function limiterWith(policies: LimitPolicyState[], now: () => number = Date.now) {
  return createLimits({
    settings: DEFAULT_LIMITS_SETTINGS,
    policies: { limitPolicies: () => policies, tenants: () => [{ state: { id: "t" } }] },
    priceOverrides: [],
    logger: createLogger({ name: "limiter-test", level: "silent" }),
    meter: activeTelemetry().meter(Scopes.gateway),
    gatewayInstance: "limiter-test",
    publishAlert: null,
    clickhouse: null,
    now,
  });
}

const request = (content: string, metadata: Record<string, string> = {}): AdmitRequest => ({
  tenantId: "t",
  request: { apiKeyId: null, metadata },
  targets: [{ path: "config", provider: "openai", model: "gpt-4o-mini", virtualKeyId: null, overrides: {} }],
  params: { model: "gpt-4o-mini", max_tokens: 10, messages: [{ role: "user", content }] },
});

describe("Limiter", () => {
  it("reserves the prompt's byte bound, and counts its tokens only when that bound does not fit", async () => {
    // ~600 bytes of English: ~110 tokens counted, so the byte bound (~600) is far above the count.
    const prose = "The quick brown fox jumps over the lazy dog near the riverbank. ".repeat(10);
    const limits = limiterWith([policy({ rate_limits: [{ type: "tokens", unit: "rpm", value: 300 }] })]);
    const input = request(prose);
    const first = await limits.limiter.admit(input, limits.limiter.plan(input));
    expect(first.refusal).toBeNull();
    // The bound did not fit 300 tokens: the admission reserved the counted prompt plus max_tokens.
    expect(first.amounts[0]).toBeGreaterThan(100);
    expect(first.amounts[0]).toBeLessThan(200);
    // A second such request no longer fits even counted: refused, naming what it would need.
    const second = await limits.limiter.admit(input, limits.limiter.plan(input));
    expect(second.refusal).toMatchObject({ why: "over", amount: first.amounts[0], total: first.amounts[0] });
    await limits.close();
  });

  it("far from its limit a request reserves the byte bound (no tokenizing), settled to what it used", async () => {
    const limits = limiterWith([policy({ rate_limits: [{ type: "tokens", unit: "rpm", value: 1_000_000 }] })]);
    const input = request("héllo wörld");
    const admission = await limits.limiter.admit(input, limits.limiter.plan(input));
    // "user\nhéllo wörld" is 18 bytes, 4 per message + 4 framing, 10 output tokens.
    expect(admission.amounts).toEqual([18 + 8 + 10]);
    await limits.limiter.settle(admission, { tokens: 12, costNano: 0, targetPath: "config", cacheHit: false });
    expect(await limits.store.read([admission.counters[0]!.key])).toEqual([12]);
    await limits.close();
  });

  it("a memoised plan is per group value (no two metadata choices share a counter) and per window", async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 30);
    const perPair = policy({
      group_by: [{ key: "metadata.a" }, { key: "metadata.b" }],
      rate_limits: [{ type: "requests", unit: "rpm", value: 1 }],
    });
    const limits = limiterWith([perPair], () => now);
    const plan = (metadata: Record<string, string>) => limits.limiter.plan(request("hi", metadata));
    // Joined without lengths both would read "123".
    const one = plan({ a: "1", b: "23" });
    const other = plan({ a: "12", b: "3" });
    expect(one[0]!.key).not.toBe(other[0]!.key);
    expect(plan({ a: "1", b: "23" })).toBe(one);
    // Without one of the grouped values the request is not under the policy.
    expect(plan({ a: "1" })).toEqual([]);
    now += 30_000; // the next minute: a new window, a new plan
    const next = plan({ a: "1", b: "23" });
    expect(next).not.toBe(one);
    expect(next[0]!.windowStart).toBe(Date.UTC(2026, 0, 1, 12, 1, 0));
    await limits.close();
  });
});
