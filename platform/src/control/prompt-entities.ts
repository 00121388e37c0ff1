import { z } from "zod";
import { EntityId, EntityName, SavedConfigId } from "./control-entities.ts";

/**
 * Prompts and prompt partials: control-plane entities of a tenant. A prompt is a *head* (name,
 * default version, labels) plus immutable numbered *versions*, each its own entity (record key
 * per version), so a prompt with many versions never becomes one huge event and a version, once
 * written, is never rewritten. Partials are prompts of kind "partial" (text only, no model), in
 * the same id space: `{{>id}}` in a template names one.
 */

/** Prompt and partial ids: EntityId, so `id@12` / `id@production` split cleanly and ids fit URLs and record keys. */
export const PromptId = EntityId;

/** A label: the built-ins or a custom one (lowercase, not a number, not `latest`). */
export const BUILT_IN_LABELS = ["production", "staging", "development"] as const;
export const PromptLabel = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, "must be 1-64 lowercase letters, digits, '_' or '-', starting with a letter")
  .refine((label) => label !== "latest", "`latest` means the newest version and cannot be a label");

/** Templates are bounded: every one is carried in a control event and held in memory on every replica. */
export const PROMPT_TEMPLATE_MAX = 65_536;
/** Versions per prompt; a prompt past it is deleted and re-created, or versioned less eagerly. */
export const PROMPT_VERSIONS_MAX = 1_000;
/** Prompts and partials per tenant (every replica holds them all in memory). */
export const PROMPTS_PER_TENANT_MAX = 10_000;
/** Labels per prompt (built-ins included). */
export const PROMPT_LABELS_MAX = 32;

export const PromptKind = z.enum(["prompt", "partial"]);
export type PromptKind = z.infer<typeof PromptKind>;

const Timestamp = z.iso.datetime({ offset: true });
const VersionNumber = z.number().int().positive().max(PROMPT_VERSIONS_MAX);

/** One immutable version: the template and, for prompts, how it is called and routed. */
export const PromptVersionState = z.object({
  tenant_id: EntityId,
  prompt_id: PromptId,
  version: VersionNumber,
  /** Mustache text. For `format: "chat"` it renders to the JSON of a messages array (as Portkey stores it). */
  template: z.string().max(PROMPT_TEMPLATE_MAX),
  format: z.enum(["chat", "text"]),
  model: z.string().min(1).max(256).optional(),
  /** Saved model parameters (temperature, max_tokens, tools, response_format, …); request root values override them. */
  parameters: z.record(z.string(), z.unknown()),
  /** What routes the version when the call brings no config or provider headers of its own. */
  virtual_key: EntityId.optional(),
  config_id: SavedConfigId.optional(),
  description: z.string().max(1_000).optional(),
  created_at: Timestamp,
});
export type PromptVersionState = z.infer<typeof PromptVersionState>;

export const PromptState = z.object({
  id: PromptId,
  tenant_id: EntityId,
  kind: PromptKind,
  name: EntityName,
  /** The published version `id` alone resolves to. */
  default_version: VersionNumber,
  /** The newest version (`id@latest`); versions are 1…latest_version. */
  latest_version: VersionNumber,
  /** label → version. */
  labels: z.record(PromptLabel, VersionNumber).refine((l) => Object.keys(l).length <= PROMPT_LABELS_MAX, {
    message: `at most ${PROMPT_LABELS_MAX} labels`,
  }),
  /** The entity's own event counter (as every control entity has), not a prompt version. */
  version: z.number().int().nonnegative(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type PromptState = z.infer<typeof PromptState>;

/** Map key for a prompt's version (ids cannot contain ':'). */
export function promptVersionKey(tenantId: string, promptId: string, version: number): string {
  return `${tenantId}:${promptId}:${version}`;
}
