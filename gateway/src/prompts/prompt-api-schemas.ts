import {
  EntityId,
  EntityName,
  PROMPT_TEMPLATE_MAX,
  PromptLabel,
  type PromptState,
  type PromptVersionState,
  SavedConfigId,
} from "@switchyard/platform";
import { z } from "zod";

/**
 * Bodies and views of Portkey's prompt admin API (`/v1/prompts…`, `/v1/prompts/partials…`),
 * as the portkey-ai SDK sends and reads them. Keys Portkey's hosted service has and we do not
 * use (collection_id, template_metadata, is_raw_template) are accepted and ignored, so SDK calls
 * written for Portkey work unchanged; any other unknown key is a 400.
 */

const Template = z.string().min(1).max(PROMPT_TEMPLATE_MAX);
const Params = z.record(z.string(), z.unknown());
const Ignored = {
  collection_id: z.string().max(256).optional(),
  workspace_id: z.string().max(256).optional(),
  template_metadata: z.record(z.string(), z.unknown()).optional(),
  is_raw_template: z.union([z.boolean(), z.number()]).optional(),
};

const VersionFields = {
  parameters: Params.optional(),
  model: z.string().min(1).max(256).optional(),
  virtual_key: EntityId.optional(),
  /** Our extension: a saved config (`pc-…`) routes the version instead of a virtual key. */
  config: SavedConfigId.optional(),
  functions: z.array(z.unknown()).max(128).optional(),
  tools: z.array(z.unknown()).max(128).optional(),
  tool_choice: z.unknown().optional(),
  version_description: z.string().max(1_000).optional(),
  /** Our extension: `chat` (a JSON messages array) or `text`; default: chat when the string is a JSON array. */
  template_format: z.enum(["chat", "text"]).optional(),
};

export const PromptCreate = z.strictObject({
  /** Our extension: choose the id (default `pp-<hex>`). */
  id: EntityId.optional(),
  name: EntityName,
  string: Template,
  ...VersionFields,
  ...Ignored,
});
export type PromptCreate = z.infer<typeof PromptCreate>;

export const PromptUpdate = z.strictObject({
  name: EntityName.optional(),
  string: Template.optional(),
  ...VersionFields,
  ...Ignored,
});
export type PromptUpdate = z.infer<typeof PromptUpdate>;

/**
 * An unsaved version (`POST /v1/prompts/completions`'s `prompt`): what a create or update body
 * would save, so the playground can run an edit and then save the same object as a new version.
 */
export const PromptDraft = z.strictObject({ string: Template, ...VersionFields });
export type PromptDraft = z.infer<typeof PromptDraft>;

export const PartialCreate = z.strictObject({
  id: EntityId.optional(),
  name: EntityName,
  string: Template,
  version_description: z.string().max(1_000).optional(),
  workspace_id: z.string().max(256).optional(),
});

export const PartialUpdate = z.strictObject({
  name: EntityName.optional(),
  string: Template.optional(),
  description: z.string().max(1_000).optional(),
  status: z.string().max(64).optional(),
});

/** `GET /v1/prompts` query (the SDK's PromptsListQuery): pages of at most 1,000, a name/id search. */
export const PromptListQuery = z.looseObject({
  current_page: z.coerce.number().int().min(0).max(1_000_000).default(0),
  page_size: z.coerce.number().int().min(1).max(1_000).default(100),
  search: z.string().max(200).optional(),
});

export const MakeDefault = z.strictObject({ version: z.coerce.number().int().positive() });
export const SetLabel = z.strictObject({ label_id: PromptLabel });

/** The version content a create/update body gives (model params gathered into `parameters`). */
export function versionInput(body: Partial<PromptCreate>) {
  const parameters: Record<string, unknown> | undefined =
    body.parameters || body.functions || body.tools || body.tool_choice !== undefined
      ? {
          ...body.parameters,
          ...(body.functions ? { functions: body.functions } : {}),
          ...(body.tools ? { tools: body.tools } : {}),
          ...(body.tool_choice !== undefined ? { tool_choice: body.tool_choice } : {}),
        }
      : undefined;
  const { model: paramModel, ...otherParams } = parameters ?? {};
  const model = body.model ?? (typeof paramModel === "string" ? paramModel : undefined);
  return {
    template: body.string,
    format: body.string === undefined ? body.template_format : (body.template_format ?? guessFormat(body.string)),
    model,
    parameters: parameters === undefined ? undefined : otherParams,
    virtual_key: body.virtual_key,
    config_id: body.config,
    description: body.version_description,
  };
}

function guessFormat(template: string): "chat" | "text" {
  return template.trimStart().startsWith("[") ? "chat" : "text";
}

export function promptView(head: PromptState, version: PromptVersionState | undefined) {
  return {
    object: head.kind === "partial" ? "prompt_partial" : "prompt",
    id: head.id,
    slug: head.id,
    name: head.name,
    default_version: head.default_version,
    latest_version: head.latest_version,
    labels: head.labels,
    ...(version ? versionContent(version) : {}),
    created_at: head.created_at,
    updated_at: head.updated_at,
  };
}

export function versionView(head: PromptState, version: PromptVersionState) {
  return {
    object: head.kind === "partial" ? "prompt_partial_version" : "prompt_version",
    id: `${head.id}@${version.version}`,
    prompt_id: head.id,
    ...versionContent(version),
    labels: Object.entries(head.labels)
      .filter(([, v]) => v === version.version)
      .map(([label]) => label),
    is_default: head.default_version === version.version,
    created_at: version.created_at,
  };
}

function versionContent(version: PromptVersionState) {
  return {
    version_id: `${version.prompt_id}@${version.version}`,
    prompt_version: version.version,
    string: version.template,
    template_format: version.format,
    model: version.model ?? null,
    parameters: version.parameters,
    virtual_key: version.virtual_key ?? null,
    config: version.config_id ?? null,
    version_description: version.description ?? null,
  };
}
