import type { LimitPolicyState } from "@switchyard/platform";
import { counterKey, limitIdOf, NANO_PER_USD, slotsOf } from "./limit-plan.ts";
import type { LimitStore } from "./limit-store.ts";

/** One limit as GET /v1/analytics/limits shows it (cost in USD). */
export interface LimitUsageView {
  limit_id: string;
  policy_id: string;
  kind: "rate" | "budget";
  metric: "requests" | "tokens" | "cost";
  /** The grouped dimension values (per-user policies: the user), null when the policy has no group_by. */
  group: Record<string, string> | null;
  limit: number;
  /** Used so far in this window, including in-flight reservations. */
  spend: number;
  remaining: number;
  alert_threshold: number | null;
  window_start: string;
  /** null: a budget that never resets. */
  reset_at: string | null;
}

const MAX_GROUPS_PER_LIMIT = 1000;

/** Every limit of the tenant's policies in its current window, from the live counters. */
export async function listUsage(
  store: LimitStore,
  policies: readonly LimitPolicyState[],
  tenantId: string,
  now: number,
): Promise<LimitUsageView[]> {
  const out: LimitUsageView[] = [];
  for (const policy of policies) {
    for (const [slot, make] of slotsOf(policy, now)) {
      const core = make();
      const scale = core.metric === "cost" ? NANO_PER_USD : 1;
      const view = (group: string[], total: number): LimitUsageView => ({
        limit_id: limitIdOf(policy.id, slot, group),
        policy_id: policy.id,
        kind: core.kind,
        metric: core.metric,
        group:
          policy.group_by.length === 0
            ? null
            : Object.fromEntries(policy.group_by.map((g, i) => [g.key, group[i] ?? ""])),
        limit: core.limit / scale,
        spend: total / scale,
        remaining: Math.max(0, core.limit - total) / scale,
        alert_threshold: core.alertAt === null ? null : core.alertAt / scale,
        window_start: new Date(core.windowStart).toISOString(),
        reset_at: core.windowEnd === null ? null : new Date(core.windowEnd).toISOString(),
      });
      if (policy.group_by.length === 0) {
        const [total] = await store.read([counterKey(tenantId, policy.id, slot, [], core.windowStart)]);
        out.push(view([], total ?? 0));
        continue;
      }
      const prefix = `${tenantId}|${policy.id}|${slot}|`;
      const suffix = `|${core.windowStart}`;
      for (const { key, total } of await store.scan(prefix, MAX_GROUPS_PER_LIMIT)) {
        if (!key.endsWith(suffix)) continue;
        const group = key
          .slice(prefix.length, key.length - suffix.length)
          .split(",")
          .map(decodeURIComponent);
        out.push(view(group, total));
      }
    }
  }
  return out;
}
