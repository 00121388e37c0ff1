import type { LimitCondition, LimitPolicyState } from "@switchyard/platform";
import { budgetWindow, rateWindow } from "./periods.ts";

/** What a policy can match on: the request's own facts and those of one target of its route. */
export interface RequestFacts {
  apiKeyId: string | null;
  metadata: Readonly<Record<string, string>>;
}

export interface TargetFacts {
  /** The target's path in the config (`config`, `config.targets[1]`). */
  path: string;
  provider: string;
  model: string;
  virtualKeyId: string | null;
}

export type LimitKind = "rate" | "budget";
export type LimitMetric = "requests" | "tokens" | "cost";

/** One counter a request is checked against: a policy's limit, for one group, in one window. */
export interface PlannedCounter {
  /** The store's key: tenant, policy, limit, group and window start. */
  key: string;
  /** Shown to the client and in the event: policy id, which limit, and the group values. */
  limitId: string;
  policyId: string;
  kind: LimitKind;
  metric: LimitMetric;
  /** In the metric's unit: requests, tokens, or nano-USD. */
  limit: number;
  alertAt: number | null;
  windowStart: number;
  windowEnd: number | null;
  /** Paths of the targets this counter applies to (a virtual key's counter: the targets using it). */
  targets: string[];
}

export const NANO_PER_USD = 1_000_000_000;

/** [from, until): while `now` stays inside, a plan made now holds (plan-cache.ts). */
export interface Validity {
  from: number;
  until: number;
}

/**
 * Every counter the request falls under, deduplicated (several targets may share one). `validity`
 * (optional) is narrowed to when the counters' windows are all current.
 */
export function planCounters(
  tenantId: string,
  policies: readonly LimitPolicyState[],
  request: RequestFacts,
  targets: readonly TargetFacts[],
  now: number,
  validity?: Validity,
): PlannedCounter[] {
  const out = new Map<string, PlannedCounter>();
  for (const policy of policies) {
    if (policy.usage_limits === null && policy.rate_limits.length === 0) continue;
    for (const target of targets) {
      if (!policy.conditions.every((c) => conditionHolds(c, request, target))) continue;
      const groupValues: string[] = [];
      let grouped = true;
      for (const { key } of policy.group_by) {
        const value = dimension(key, request, target);
        if (value === null) grouped = false;
        else groupValues.push(value);
      }
      // A request without the grouped dimension (no _user for a per-user policy) is not under it.
      if (!grouped) continue;
      const cores = coresOf(policy, now);
      if (validity !== undefined) {
        validity.from = Math.max(validity.from, cores.from);
        validity.until = Math.min(validity.until, cores.until);
      }
      for (const [slot, counter] of cores.slots) {
        const key = counterKey(tenantId, policy.id, slot, groupValues, counter.windowStart);
        const found = out.get(key);
        if (found) {
          found.targets.push(target.path);
          continue;
        }
        out.set(key, {
          ...counter,
          key,
          limitId: limitIdOf(policy.id, slot, groupValues),
          policyId: policy.id,
          targets: [target.path],
        });
      }
    }
  }
  // Rate limits first: a request over both gets the 429 (retry later) rather than the 412.
  return [...out.values()].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "rate" ? -1 : 1));
}

/**
 * A policy's slots in their current windows, memoised per policy object until the first of its
 * windows ends (the request path asks for them on every request; a policy change is a new object).
 */
const cores = new WeakMap<LimitPolicyState, Validity & { slots: Array<[string, CounterCore]> }>();

function coresOf(policy: LimitPolicyState, now: number): Validity & { slots: Array<[string, CounterCore]> } {
  const cached = cores.get(policy);
  if (cached !== undefined && now >= cached.from && now < cached.until) return cached;
  const slots = slotsOf(policy, now).map(([slot, make]): [string, CounterCore] => [slot, make()]);
  let until = Number.POSITIVE_INFINITY;
  let from = Number.NEGATIVE_INFINITY;
  for (const [, core] of slots) {
    if (core.windowEnd !== null) until = Math.min(until, core.windowEnd);
    from = Math.max(from, core.windowStart);
  }
  // A usage reset stamped a little ahead (another replica's clock) starts a new period when it comes.
  const resetAt = policy.usage_reset_at === null ? Number.NaN : Date.parse(policy.usage_reset_at);
  if (resetAt > now) until = Math.min(until, resetAt);
  const entry = { from, until, slots };
  cores.set(policy, entry);
  return entry;
}

/** The store key of a counter: tenant, policy, limit, group values and window start. */
export function counterKey(tenantId: string, policyId: string, slot: string, group: readonly string[], start: number) {
  return `${tenantId}|${policyId}|${slot}|${group.map(encodeURIComponent).join(",")}|${start}`;
}

/** The limit as clients see it: `per-user#requests_rpm[alice]`, `vk.prod#budget_cost`. */
export function limitIdOf(policyId: string, slot: string, group: readonly string[]): string {
  return group.length > 0 ? `${policyId}#${slot}[${group.join(",")}]` : `${policyId}#${slot}`;
}

export type CounterCore = Omit<PlannedCounter, "key" | "limitId" | "policyId" | "targets">;

/** Each limit of a policy (its rate limits, then its budget) as a slot name and its current window. */
export function slotsOf(policy: LimitPolicyState, now: number): Array<[string, () => CounterCore]> {
  const slots: Array<[string, () => CounterCore]> = [];
  for (const rate of policy.rate_limits) {
    slots.push([
      `${rate.type}_${rate.unit}`,
      () => {
        const w = rateWindow(rate.unit, now);
        return {
          kind: "rate",
          metric: rate.type,
          limit: rate.value,
          alertAt: null,
          windowStart: w.start,
          windowEnd: w.end,
        };
      },
    ]);
  }
  const usage = policy.usage_limits;
  if (usage !== null) {
    slots.push([
      `budget_${usage.type}`,
      () => {
        const resetAt = policy.usage_reset_at === null ? null : Date.parse(policy.usage_reset_at);
        const w = budgetWindow(usage, now, resetAt);
        const scale = usage.type === "cost" ? NANO_PER_USD : 1;
        return {
          kind: "budget",
          metric: usage.type,
          limit: Math.round(usage.credit_limit * scale),
          alertAt: usage.alert_threshold === undefined ? null : Math.round(usage.alert_threshold * scale),
          windowStart: w.start,
          windowEnd: w.end,
        };
      },
    ]);
  }
  return slots;
}

function dimension(key: string, request: RequestFacts, target: TargetFacts): string | null {
  switch (key) {
    case "api_key":
      return request.apiKeyId;
    case "virtual_key":
      return target.virtualKeyId;
    case "model":
      return target.model;
    case "provider":
      return target.provider;
    default:
      return key.startsWith("metadata.") ? metadataValue(request.metadata, key.slice(9)) : null;
  }
}

function conditionHolds(condition: LimitCondition, request: RequestFacts, target: TargetFacts): boolean {
  const value = dimension(condition.key, request, target);
  const expected = condition.value;
  const matched =
    value !== null && (expected === "*" || expected === value || (Array.isArray(expected) && expected.includes(value)));
  return condition.excludes === true ? !matched : matched;
}

/** A metadata value the client sent (never an inherited property such as `constructor`). */
export function metadataValue(metadata: Readonly<Record<string, string>>, name: string): string | null {
  return Object.hasOwn(metadata, name) ? (metadata[name] ?? null) : null;
}
