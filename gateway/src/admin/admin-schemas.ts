import {
  ApiKeyScopes,
  EntityId,
  EntityName,
  FieldValue,
  fileLimitFields,
  PLAIN_FIELDS,
  type PlainField,
  ProviderSlug,
  plainFieldValue,
  SavedConfigId,
  SECRET_FIELDS,
  type SecretField,
} from "@switchyard/platform";
import { z } from "zod";

/** Admin request bodies. Strict: a misspelt field is an error, never silently dropped. */

/** Portkey sends the Vertex service account as an object; it is stored (encrypted) as its JSON text. */
const ServiceAccount = z
  .union([FieldValue, z.record(z.string(), z.string())])
  .transform((v) => (typeof v === "string" ? v : JSON.stringify(v)));

function secretShape<T extends z.ZodType>(wrap: (value: z.ZodType<string>) => T): Record<SecretField, T> {
  return Object.fromEntries(
    SECRET_FIELDS.map((f) => [f, wrap(f === "vertex_service_account_json" ? ServiceAccount : FieldValue)]),
  ) as Record<SecretField, T>;
}

function plainShape<T extends z.ZodType>(wrap: (value: z.ZodType<string>) => T): Record<PlainField, T> {
  return Object.fromEntries(PLAIN_FIELDS.map((f) => [f, wrap(plainFieldValue(f))])) as Record<PlainField, T>;
}

/** `usage_limits` / `rate_limits` (Portkey's names) are accepted on tenants, API keys and virtual keys (limit-routes.ts). */
/** `log_bodies: false` stops storing the tenant's prompt and answer bodies (request logs); null in an update: back to on. */
export const TenantCreate = z.strictObject({
  id: EntityId,
  name: EntityName.optional(),
  log_bodies: z.boolean().optional(),
  ...fileLimitFields,
});
export const TenantUpdate = z.strictObject({
  name: EntityName.nullable().optional(),
  log_bodies: z.boolean().nullable().optional(),
  ...fileLimitFields,
});

export const ApiKeyCreate = z.strictObject({
  ...fileLimitFields,
  name: EntityName.optional(),
  role: z.enum(["tenant", "admin"]).optional(),
  /** Absent: the default scopes (completions, prompts.read, prompts.write, analytics.read, feedback.write); the management scopes only when listed. */
  scopes: ApiKeyScopes.optional(),
});

/** Secrets and provider fields sit flat on the body, as on a Portkey config target. */
export const VirtualKeyCreate = z.strictObject({
  ...fileLimitFields,
  id: EntityId.optional(),
  name: EntityName.optional(),
  provider: ProviderSlug,
  ...secretShape((v) => v.optional()),
  ...plainShape((v) => v.optional()),
});
export type VirtualKeyCreate = z.infer<typeof VirtualKeyCreate>;

/** Omitted: unchanged; null: removed. */
export const VirtualKeyUpdate = z.strictObject({
  ...fileLimitFields,
  name: EntityName.nullable().optional(),
  provider: ProviderSlug.optional(),
  ...secretShape((v) => v.nullable().optional()),
  ...plainShape((v) => v.nullable().optional()),
});
export type VirtualKeyUpdate = z.infer<typeof VirtualKeyUpdate>;

export const VirtualKeyRotate = z
  .strictObject(secretShape((v) => v.optional()))
  .refine((body) => SECRET_FIELDS.some((f) => body[f] !== undefined), {
    message: `give the new value of at least one of ${SECRET_FIELDS.join(", ")}`,
  });

export const SavedConfigCreate = z.strictObject({
  id: SavedConfigId.optional(),
  name: EntityName.optional(),
  config: z.record(z.string(), z.unknown()),
});

export const SavedConfigUpdate = z.strictObject({
  name: EntityName.nullable().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});

/** Splits a flat body into the secret and the plain fields it set (null kept: it means "remove"). */
export function splitFields<V>(body: Partial<Record<SecretField | PlainField, V>>): {
  secrets: Partial<Record<SecretField, V>>;
  fields: Partial<Record<PlainField, V>>;
} {
  const secrets: Partial<Record<SecretField, V>> = {};
  const fields: Partial<Record<PlainField, V>> = {};
  for (const f of SECRET_FIELDS) if (body[f] !== undefined) secrets[f] = body[f];
  for (const f of PLAIN_FIELDS) if (body[f] !== undefined) fields[f] = body[f];
  return { secrets, fields };
}
