import {
  type ApiKeyState,
  maskSecret,
  type SavedConfigState,
  type Sourced,
  type TenantState,
  type Vault,
  VaultError,
  VirtualKeyCredentials,
  type VirtualKeyState,
} from "@switchyard/platform";

/**
 * What the admin API returns for each entity. Virtual keys show a masked hint of each secret
 * (`sk-…abcd`), computed by decrypting here: no part of a secret is ever stored in clear, not
 * even a hint. API keys never show their hash.
 */

function common<T extends { version: number; created_at: string; updated_at: string }>(entity: Sourced<T>) {
  return {
    version: entity.state.version,
    source: entity.source,
    created_at: entity.state.created_at,
    updated_at: entity.state.updated_at,
  };
}

export function tenantView(tenant: Sourced<TenantState>) {
  const { id, name, log_bodies } = tenant.state;
  return { object: "tenant", id, name: name ?? null, log_bodies: log_bodies ?? true, ...common(tenant) };
}

export function apiKeyView(key: Sourced<ApiKeyState>) {
  const { id, tenant_id, name, role, revoked, scopes } = key.state;
  return {
    object: "api_key",
    id,
    tenant_id,
    name: name ?? null,
    role,
    revoked,
    scopes: scopes ?? null,
    ...common(key),
  };
}

export function virtualKeyView(key: Sourced<VirtualKeyState>, vault: Vault | null) {
  const { id, tenant_id, name, provider, disabled, fields } = key.state;
  return {
    object: "virtual_key",
    id,
    tenant_id,
    name: name ?? null,
    provider,
    disabled,
    fields,
    secrets: secretHints(key.state, vault),
    ...common(key),
  };
}

export function savedConfigView(config: Sourced<SavedConfigState>) {
  const { id, tenant_id, name } = config.state;
  return { object: "saved_config", id, tenant_id, name: name ?? null, config: config.state.config, ...common(config) };
}

export function list<T>(data: T[]) {
  return { object: "list", data };
}

function secretHints(state: VirtualKeyState, vault: Vault | null): Record<string, string> {
  const credentials = new VirtualKeyCredentials(state, vault);
  let revealed: Readonly<Record<string, string | undefined>> | null = null;
  try {
    revealed = credentials.revealAll();
  } catch (error) {
    if (!(error instanceof VaultError)) throw error;
  }
  return Object.fromEntries(
    credentials.fieldNames.map((f) => {
      const value = revealed?.[f];
      return [f, value === undefined ? "[encrypted]" : maskSecret(value)];
    }),
  );
}
