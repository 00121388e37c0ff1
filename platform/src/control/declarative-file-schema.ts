import { z } from "zod";
import { ApiKeyScopes } from "../auth/scopes.ts";
import {
  EntityId,
  EntityName,
  FieldValue,
  PLAIN_FIELDS,
  type PlainField,
  ProviderSlug,
  plainFieldValue,
  SavedConfigId,
  SECRET_FIELDS,
  type SecretField,
} from "./control-entities.ts";
import { FilePrompt } from "./declarative-prompts.ts";
import { GuardrailDefinition, SavedGuardrailId } from "./guardrail-entities.ts";
import { FileLimitPolicy, fileLimitFields } from "./limit-policy-file.ts";

/**
 * The declarative control-plane file (SWITCHYARD_CONFIG_FILE, YAML), for GitOps: tenants with
 * their API keys (as SHA-256 hashes), virtual keys (secrets as `${ENV_VAR}` references) and saved
 * configs. Objects are strict so a misspelt field is an error, not silently ignored.
 * See switchyard.example.yaml at the repository root.
 */

const FileApiKey = z.strictObject({
  id: z.string().min(1).max(128),
  name: EntityName.optional(),
  key_sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex chars: the sha256 of the key"),
  role: z.enum(["tenant", "admin"]).default("tenant"),
  revoked: z.boolean().default(false),
  ...fileLimitFields,
  /** Absent: the default scopes (auth/scopes.ts). */
  scopes: ApiKeyScopes.optional(),
  /** Listed only to give a raw key a precise error instead of "unrecognized key". */
  key: z.never({ error: 'raw keys never go in the file: give key_sha256 (`printf %s "$KEY" | sha256sum`)' }).optional(),
});

const secretFields = Object.fromEntries(SECRET_FIELDS.map((f) => [f, FieldValue.optional()])) as Record<
  SecretField,
  z.ZodOptional<typeof FieldValue>
>;
const plainFields = Object.fromEntries(PLAIN_FIELDS.map((f) => [f, plainFieldValue(f).optional()])) as Record<
  PlainField,
  z.ZodOptional<z.ZodType<string>>
>;

/** Credential and provider fields sit flat on the key, as in a Portkey config target. */
const FileVirtualKey = z.strictObject({
  id: EntityId,
  name: EntityName.optional(),
  provider: ProviderSlug,
  disabled: z.boolean().default(false),
  ...fileLimitFields,
  ...secretFields,
  ...plainFields,
});
export type FileVirtualKey = z.infer<typeof FileVirtualKey>;

const FileSavedConfig = z.strictObject({
  id: SavedConfigId,
  name: EntityName.optional(),
  config: z.record(z.string(), z.unknown()),
});

const FileGuardrail = z.strictObject({ id: SavedGuardrailId, ...GuardrailDefinition.shape });

const FileTenant = z.strictObject({
  id: EntityId,
  name: EntityName.optional(),
  /** false: the tenant's prompt and answer bodies are never stored. */
  log_bodies: z.boolean().optional(),
  api_keys: z.array(FileApiKey).default([]),
  virtual_keys: z.array(FileVirtualKey).default([]),
  saved_configs: z.array(FileSavedConfig).default([]),
  prompts: z.array(FilePrompt).default([]),
  guardrails: z.array(FileGuardrail).default([]),
  ...fileLimitFields,
  limit_policies: z.array(FileLimitPolicy).default([]),
});

export const DeclarativeFile = z
  .strictObject({
    version: z.literal(1, { error: "must be 1 (the file format version)" }),
    tenants: z.array(FileTenant).default([]),
  })
  .superRefine((file, ctx) => {
    // Ids must be unique where the view keys them: tenants and API keys globally, the rest per tenant.
    const seen = new Map<string, string>();
    const unique = (key: string, path: (string | number)[], what: string) => {
      const first = seen.get(key);
      if (first) ctx.addIssue({ code: "custom", path, message: `duplicate ${what} (first at ${first})` });
      else seen.set(key, formatPath(path));
    };
    file.tenants.forEach((tenant, t) => {
      unique(`tenant:${tenant.id}`, ["tenants", t, "id"], `tenant id ${tenant.id}`);
      tenant.api_keys.forEach((key, k) => {
        unique(`api_key:${key.id}`, ["tenants", t, "api_keys", k, "id"], `API key id ${key.id}`);
        unique(`sha:${key.key_sha256}`, ["tenants", t, "api_keys", k, "key_sha256"], "API key hash");
      });
      tenant.virtual_keys.forEach((vk, v) => {
        unique(`vk:${tenant.id}:${vk.id}`, ["tenants", t, "virtual_keys", v, "id"], `virtual key id ${vk.id}`);
      });
      tenant.prompts.forEach((prompt, p) => {
        unique(`pp:${tenant.id}:${prompt.id}`, ["tenants", t, "prompts", p, "id"], `prompt id ${prompt.id}`);
      });
      tenant.saved_configs.forEach((config, c) => {
        unique(
          `pc:${tenant.id}:${config.id}`,
          ["tenants", t, "saved_configs", c, "id"],
          `saved config id ${config.id}`,
        );
      });
      tenant.guardrails.forEach((g, i) => {
        unique(`pg:${tenant.id}:${g.id}`, ["tenants", t, "guardrails", i, "id"], `guardrail id ${g.id}`);
      });
    });
  });
export type DeclarativeFile = z.infer<typeof DeclarativeFile>;

/** `["tenants", 0, "api_keys", 1, "id"]` → `tenants[0].api_keys[1].id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out || "(root)";
}
