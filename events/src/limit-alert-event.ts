import { z } from "zod";

/**
 * Emitted once per limit and period when a budget's spend crosses its `alert_threshold`
 * (topic llm.limit-alerts.v1, keyed by tenant). Amounts are in the limit's unit: USD for cost,
 * tokens, requests. Carries only the tenant's own ids.
 */
export const LimitAlertEvent = z.object({
  event_id: z.uuid(),
  schema_version: z.literal(1),
  occurred_at: z.iso.datetime({ offset: false }),
  gateway_instance: z.string().min(1),
  tenant_id: z.string().min(1),
  limit_id: z.string().min(1).max(1024),
  policy_id: z.string().min(1),
  metric: z.enum(["requests", "tokens", "cost"]),
  credit_limit: z.number().nonnegative(),
  alert_threshold: z.number().nonnegative(),
  spend: z.number().nonnegative(),
  period_start: z.iso.datetime({ offset: false }),
  /** null: the budget never resets. */
  period_end: z.iso.datetime({ offset: false }).nullable(),
});
export type LimitAlertEvent = z.infer<typeof LimitAlertEvent>;
