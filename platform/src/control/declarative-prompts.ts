import { z } from "zod";
import { EntityId, EntityName, SavedConfigId, scopedId } from "./control-entities.ts";
import type { ControlLayer } from "./control-state.ts";
import {
  PROMPT_TEMPLATE_MAX,
  PROMPT_VERSIONS_MAX,
  PromptId,
  PromptKind,
  PromptLabel,
  type PromptVersionState,
} from "./prompt-entities.ts";

/**
 * Prompts and partials in the declarative file (`tenants[].prompts`): versions are listed in
 * order (version n is the n-th), the default version and labels point into them. A prompt the
 * file declares shadows the control topic's prompt with that id, versions and all.
 */

/** Checks a template as the gateway renders it (Mustache, and a messages array for chat): the problem, or null. */
export type PromptTemplateValidator = (format: "chat" | "text", template: string) => string | null;

const FilePromptVersion = z.strictObject({
  template: z.string().min(1).max(PROMPT_TEMPLATE_MAX),
  /** Default: chat when the template is a JSON array, else text. */
  format: z.enum(["chat", "text"]).optional(),
  model: z.string().min(1).max(256).optional(),
  parameters: z.record(z.string(), z.unknown()).default({}),
  virtual_key: EntityId.optional(),
  config: SavedConfigId.optional(),
  description: z.string().max(1_000).optional(),
});

export const FilePrompt = z
  .strictObject({
    id: PromptId,
    name: EntityName,
    kind: PromptKind.default("prompt"),
    versions: z.array(FilePromptVersion).min(1).max(PROMPT_VERSIONS_MAX),
    /** Default: the last version. */
    default_version: z.number().int().positive().optional(),
    labels: z.record(PromptLabel, z.number().int().positive()).default({}),
  })
  .superRefine((prompt, ctx) => {
    const count = prompt.versions.length;
    if (prompt.default_version !== undefined && prompt.default_version > count) {
      ctx.addIssue({ code: "custom", path: ["default_version"], message: `there are only ${count} versions` });
    }
    for (const [label, version] of Object.entries(prompt.labels)) {
      if (version > count)
        ctx.addIssue({ code: "custom", path: ["labels", label], message: `there are only ${count} versions` });
    }
  });
export type FilePrompt = z.infer<typeof FilePrompt>;

/** Puts a tenant's file prompts into the layer; template problems go to `errors` with their path. */
export function loadFilePrompts(
  layer: ControlLayer,
  tenantId: string,
  prompts: readonly FilePrompt[],
  path: string,
  stamp: { version: number; created_at: string; updated_at: string },
  errors: string[],
  validate: PromptTemplateValidator | undefined,
): void {
  prompts.forEach((prompt, p) => {
    prompt.versions.forEach((v, i) => {
      const format = v.format ?? (v.template.trimStart().startsWith("[") ? "chat" : "text");
      const problem = validate?.(format, v.template);
      if (problem) errors.push(`${path}[${p}].versions[${i}].template: ${problem}`);
      const state: PromptVersionState = {
        tenant_id: tenantId,
        prompt_id: prompt.id,
        version: i + 1,
        template: v.template,
        format,
        parameters: v.parameters,
        ...(v.model !== undefined ? { model: v.model } : {}),
        ...(v.virtual_key !== undefined ? { virtual_key: v.virtual_key } : {}),
        ...(v.config !== undefined ? { config_id: v.config } : {}),
        ...(v.description !== undefined ? { description: v.description } : {}),
        created_at: stamp.created_at,
      };
      layer.addPromptVersion(state);
    });
    layer.prompts.set(scopedId(tenantId, prompt.id), {
      id: prompt.id,
      tenant_id: tenantId,
      kind: prompt.kind,
      name: prompt.name,
      default_version: prompt.default_version ?? prompt.versions.length,
      latest_version: prompt.versions.length,
      labels: prompt.labels,
      ...stamp,
    });
  });
}
