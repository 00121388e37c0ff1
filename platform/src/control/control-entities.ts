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
  .regex(
    /^pc-[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/,
    "must be `pc-` then a letter or digit, then letters, digits, '_' or '-'",
  );

/** A provider id as the gateway's registry names it; the gateway checks it is one it knows. */
/** A display name (tenant, virtual key, saved config): admin API and declarative file alike. */
export const EntityName = z.string().min(1).max(200);
/** One provider field value as given (a secret or plain setting), before encryption. */
export const FieldValue = z.string().min(1).max(16_384);

/**
 * Characters in a plain (non-secret) provider field, custom_host included (browsers and proxies
 * commonly stop URLs at 2 KiB). The stored state (VirtualKeyState.fields) holds the same bound, so
 * the admin API and the declarative file cannot accept a value the control events then refuse.
 */
export const PLAIN_FIELD_MAX = 2048;
export const CUSTOM_HOST_MAX = PLAIN_FIELD_MAX;
/** One plain provider field value (resource_name, aws_region, …). */
export const PlainFieldValue = z.string().min(1).max(PLAIN_FIELD_MAX);

/**
 * A provider base URL override (`custom_host`): an absolute http(s) URL without embedded
 * credentials. One schema for every way one is given — an inline or saved config target, a
 * virtual key through the admin API, the declarative file — so none accepts what another refuses.
 * (Whether the host may be reached — private ranges, metadata addresses — is the gateway's
 * request-time guard; this is only the shape.)
 */
export const CustomHostUrl = z
  .string()
  .max(CUSTOM_HOST_MAX, `must be at most ${CUSTOM_HOST_MAX} characters`)
  .refine((raw) => {
    try {
      const url = new URL(raw);
      return (url.protocol === "http:" || url.protocol === "https:") && !url.username && !url.password;
    } catch {
      return false;
    }
  }, "must be an absolute http(s) URL without credentials");

export const ProviderSlug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be a lowercase provider id such as openai or azure-openai");

/**
 * Credential fields that are encrypted in events and in memory, and never shown by the admin API.
 * Names are Portkey's target fields; gateway/src/routing/provider-fields.ts derives the config
 * schema's provider fields from this list and PLAIN_FIELDS, so there is one list.
 */
export const SECRET_FIELDS = [
  "api_key",
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_session_token",
  "vertex_service_account_json",
  "azure_ad_token",
  "azure_entra_client_secret",
] as const;
export const SecretField = z.enum(SECRET_FIELDS);
export type SecretField = z.infer<typeof SecretField>;

/** Provider-specific settings that are not secret. */
export const PLAIN_FIELDS = [
  "custom_host",
  // Azure OpenAI
  "resource_name",
  "deployment_id",
  "api_version",
  "azure_auth_mode",
  "azure_managed_client_id",
  "azure_entra_client_id",
  "azure_entra_tenant_id",
  "azure_model_name",
  "azure_deployment_name",
  "azure_api_version",
  "azure_foundry_url",
  // AWS Bedrock / SageMaker
  "aws_region",
  "aws_auth_type",
  "aws_role_arn",
  "aws_external_id",
  // Google Vertex AI
  "vertex_project_id",
  "vertex_region",
  // OpenAI / Anthropic / Workers AI
  "openai_project",
  "openai_organization",
  "openai_beta",
  "anthropic_beta",
  "anthropic_version",
  "workers_ai_account_id",
] as const;
export const PlainField = z.enum(PLAIN_FIELDS);
export type PlainField = z.infer<typeof PlainField>;

/** A plain field's value as the admin API and the declarative file accept it: custom_host is a URL. */
export function plainFieldValue(field: PlainField): z.ZodType<string> {
  return field === "custom_host" ? CustomHostUrl : PlainFieldValue;
}

const Timestamp = z.iso.datetime({ offset: true });
const Version = z.number().int().nonnegative();
const Name = z.string().min(1).max(200);

export const TenantState = z.object({
  id: EntityId,
  name: Name.optional(),
  /** Whether prompt and answer bodies are stored with the tenant's requests (Portkey's request logs); absent: on. */
  log_bodies: z.boolean().optional(),
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
  // Not CustomHostUrl: state already written under older rules must still load.
  fields: z.partialRecord(PlainField, PlainFieldValue),
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
