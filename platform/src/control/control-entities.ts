import { z } from "zod";
import { ApiKeyRecord } from "../auth/keys.ts";
import { EncryptedSecret } from "./vault.ts";

/**
 * The control plane's entities, in the shape they have in control events and in the view.
 * snake_case like everything on the wire. Each carries its own version (1, 2, … per entity).
 */

/** Tenant and virtual-key ids: safe in URLs, YAML and record keys (no ':' or '/'). */
export const EntityId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
    "must be 1-128 letters, digits, '.', '_' or '-', not starting with a symbol",
  );

/** Saved configs are referenced as `x-portkey-config: pc-…`, so the prefix is part of the id. */
export const SavedConfigId = z
  .string()
  .regex(/^pc-[A-Za-z0-9._-]{1,125}$/, "must be `pc-` followed by letters, digits, '.', '_' or '-'");

/** A provider id as the gateway's registry names it; the gateway checks it is one it knows. */
export const ProviderSlug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be a lowercase provider id such as openai or azure-openai");

/** Credential fields that are encrypted in events and in memory, and never shown by the admin API. */
export const SECRET_FIELDS = [
  "api_key",
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_session_token",
  "vertex_service_account_json",
] as const;
export const SecretField = z.enum(SECRET_FIELDS);
export type SecretField = z.infer<typeof SecretField>;

/** Provider-specific settings that are not secret (Portkey's target field names). */
export const PLAIN_FIELDS = [
  "resource_name",
  "deployment_id",
  "api_version",
  "aws_region",
  "vertex_project_id",
  "vertex_region",
  "custom_host",
] as const;
export const PlainField = z.enum(PLAIN_FIELDS);
export type PlainField = z.infer<typeof PlainField>;

const Timestamp = z.iso.datetime({ offset: true });
const Version = z.number().int().nonnegative();
const Name = z.string().min(1).max(200);

export const TenantState = z.object({
  id: EntityId,
  name: Name.optional(),
  version: Version,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type TenantState = z.infer<typeof TenantState>;

/** The KeyStore's record plus bookkeeping; `key_sha256` is all that is ever stored of the key. */
export const ApiKeyState = ApiKeyRecord.extend({
  name: Name.optional(),
  version: Version,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type ApiKeyState = z.infer<typeof ApiKeyState>;

export const VirtualKeyState = z.object({
  id: EntityId,
  tenant_id: EntityId,
  name: Name.optional(),
  provider: ProviderSlug,
  /** Every secret field, sealed by the vault with context `virtualKeySecretContext(...)`. */
  secrets: z.partialRecord(SecretField, EncryptedSecret),
  fields: z.partialRecord(PlainField, z.string().min(1).max(2048)),
  disabled: z.boolean(),
  version: Version,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type VirtualKeyState = z.infer<typeof VirtualKeyState>;

export const SavedConfigState = z.object({
  id: SavedConfigId,
  tenant_id: EntityId,
  name: Name.optional(),
  /** The raw config object; the gateway's config schema validates it on write and on use. */
  config: z.record(z.string(), z.unknown()),
  version: Version,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type SavedConfigState = z.infer<typeof SavedConfigState>;

/** AAD for a virtual key's secret: binds the ciphertext to its tenant, key and field. */
export function virtualKeySecretContext(tenantId: string, virtualKeyId: string, field: SecretField): string {
  return `virtual_key/${tenantId}/${virtualKeyId}/${field}`;
}

/** Map key for tenant-scoped entities (ids cannot contain ':'). */
export function scopedId(tenantId: string, id: string): string {
  return `${tenantId}:${id}`;
}
