import { z } from "zod";
import { EntityId, EntityName } from "./control-entities.ts";

/**
 * Budgets and rate limits, in Portkey's field names (`usage_limits`, `rate_limits`), and the
 * limit policy that carries them. A limit attached to a virtual key, an API key or a tenant is a
 * policy too (ids `vk.<id>`, `ak.<id>`, `tenant`, with the matching condition), so the request
 * path has one kind of thing to check. The gateway's gateway/src/limits enforces them.
 */

/** Dimensions a policy can match and group by. */
export const LimitDimension = z
  .string()
  .max(200)
  .regex(
    /^(api_key|virtual_key|model|provider|metadata\.[A-Za-z0-9_.-]{1,128})$/,
    "must be api_key, virtual_key, model, provider or metadata.<key>",
  );
export type LimitDimension = z.infer<typeof LimitDimension>;

const ConditionValue = z.string().min(1).max(256);

export const LimitCondition = z.strictObject({
  key: LimitDimension,
  /** One value, any of a list, or "*" (any value, the dimension must be present). */
  value: z.union([ConditionValue, z.array(ConditionValue).min(1).max(100)]),
  /** true: the policy applies when the value does NOT match. */
  excludes: z.boolean().optional(),
});
export type LimitCondition = z.infer<typeof LimitCondition>;

export const PeriodicReset = z.enum(["daily", "weekly", "monthly"]);
export type PeriodicReset = z.infer<typeof PeriodicReset>;

/** A budget: cost in USD (any positive amount), tokens or requests, per period. */
export const UsageLimits = z
  .strictObject({
    type: z.enum(["cost", "tokens", "requests"]),
    credit_limit: z.number().positive().max(1e12),
    alert_threshold: z.number().positive().max(1e12).optional(),
    /** null or omitted: never resets (unless periodic_reset_days is set). */
    periodic_reset: PeriodicReset.nullable().optional(),
    /** A custom period in days, counted from the Unix epoch (00:00 UTC). */
    periodic_reset_days: z.number().int().min(1).max(365).optional(),
  })
  .superRefine((u, ctx) => {
    if (u.type !== "cost" && !Number.isInteger(u.credit_limit)) {
      ctx.addIssue({ code: "custom", path: ["credit_limit"], message: `must be a whole number of ${u.type}` });
    }
    if (u.alert_threshold !== undefined && u.alert_threshold > u.credit_limit) {
      ctx.addIssue({ code: "custom", path: ["alert_threshold"], message: "must not exceed credit_limit" });
    }
    if (u.periodic_reset != null && u.periodic_reset_days !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["periodic_reset_days"],
        message: "give either periodic_reset or periodic_reset_days, not both",
      });
    }
  });
export type UsageLimits = z.infer<typeof UsageLimits>;

export const RateLimitUnit = z.enum(["rps", "rpm", "rph", "rpd"]);
export type RateLimitUnit = z.infer<typeof RateLimitUnit>;

export const RateLimit = z.strictObject({
  type: z.enum(["requests", "tokens"]),
  unit: RateLimitUnit,
  value: z.number().int().positive().max(1e12),
});
export type RateLimit = z.infer<typeof RateLimit>;

export const RateLimits = z.array(RateLimit).max(8);

const Timestamp = z.iso.datetime({ offset: true });

export const LimitPolicyState = z.object({
  id: EntityId,
  tenant_id: EntityId,
  name: EntityName.optional(),
  /** All must hold (AND); a list value matches any of its values (OR). */
  conditions: z.array(LimitCondition).max(16),
  /** One counter per distinct value (e.g. metadata._user: each end user has their own). */
  group_by: z.array(z.strictObject({ key: LimitDimension })).max(4),
  usage_limits: UsageLimits.nullable(),
  rate_limits: RateLimits,
  /** Set by "reset usage": spend before this instant no longer counts in the current period. */
  usage_reset_at: Timestamp.nullable(),
  version: z.number().int().nonnegative(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type LimitPolicyState = z.infer<typeof LimitPolicyState>;

export const limitPolicyRecordKey = (tenantId: string, id: string) => `limit_policy:${tenantId}:${id}`;

/** The policy id of limits attached to an entity (ids cannot contain '.', a policy id can). */
export const attachedPolicyId = {
  virtualKey: (id: string) => `vk.${id}`,
  apiKey: (id: string) => `ak.${id}`,
  tenant: "tenant",
} as const;
