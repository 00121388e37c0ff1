import { z } from "zod";
import { EntityId, EntityName } from "./control-entities.ts";

/**
 * Saved guardrails: a tenant's named checks plus what to do with their verdict (Portkey's hosted
 * `POST /v1/guardrails`: `{name, checks, actions: {deny, async, on_success, on_fail}}`), referenced
 * from configs by id (`"input_guardrails": ["pg-pii"]`). The check ids and their parameters are the
 * gateway's to validate (its built-in checks); here they are only bounded.
 */

/** Referenced in configs as a bare string, so the `pg-` prefix is part of the id (as `pc-` for configs). */
export const SavedGuardrailId = z
  .string()
  .regex(
    /^pg-[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/,
    "must be `pg-` then a letter or digit, then letters, digits, '_' or '-'",
  );

/** Checks per saved guardrail: every one runs on every request that names it. */
export const GUARDRAIL_CHECKS_MAX = 32;

export const GuardrailCheck = z.strictObject({
  id: z.string().min(1).max(128),
  parameters: z.record(z.string(), z.unknown()).default({}),
  is_enabled: z.boolean().optional(),
});
export type GuardrailCheck = z.infer<typeof GuardrailCheck>;

/** The feedback a verdict sends through the feedback pipeline (POST /v1/feedback's bounds). */
const GuardrailFeedback = z.strictObject({
  value: z.number().int().min(-10).max(10),
  weight: z.number().min(0).max(1).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

export const GuardrailActions = z.strictObject({
  deny: z.boolean().default(false),
  async: z.boolean().default(false),
  sequential: z.boolean().optional(),
  on_success: z.strictObject({ feedback: GuardrailFeedback.optional() }).optional(),
  on_fail: z.strictObject({ feedback: GuardrailFeedback.optional() }).optional(),
});
export type GuardrailActions = z.infer<typeof GuardrailActions>;

/** What the admin API and the declarative file take (the state without tenant, version, stamps). */
export const GuardrailDefinition = z.strictObject({
  name: EntityName,
  type: z.enum(["guardrail", "mutator"]).default("guardrail"),
  checks: z.array(GuardrailCheck).min(1).max(GUARDRAIL_CHECKS_MAX),
  actions: GuardrailActions.default({ deny: false, async: false }),
});
export type GuardrailDefinition = z.infer<typeof GuardrailDefinition>;

export const SavedGuardrailState = z.object({
  id: SavedGuardrailId,
  tenant_id: EntityId,
  ...GuardrailDefinition.shape,
  version: z.number().int().nonnegative(),
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
});
export type SavedGuardrailState = z.infer<typeof SavedGuardrailState>;

export const savedGuardrailRecordKey = (tenantId: string, id: string) => `saved_guardrail:${tenantId}:${id}`;

/** Checks a saved guardrail's checks against the gateway's built-ins: one "path: message" line per problem. */
export type GuardrailValidator = (checks: readonly GuardrailCheck[]) => readonly string[];
