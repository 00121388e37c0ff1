import { GatewayError } from "../errors.ts";
import type { ControlLookup } from "./control-lookup.ts";

/** Non-key secrets the providers sign or authenticate with (AWS keys, Azure AD token). */
const VAULT_PROVIDER_SECRETS = [
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_session_token",
  "azure_ad_token",
  // Vertex signs its token request with the service account's key (providers/vertex-ai/auth.ts).
  "vertex_service_account_json",
] as const;

/** A tenant's virtual key, opened: its provider, API key, and fields with the vault's secrets merged in. */
export interface OpenedVirtualKey {
  id: string;
  provider: string;
  apiKey: string | null;
  fields: Record<string, string>;
}

/**
 * Looks a virtual key up and reveals its secrets, for a route target and for `cache.embedding` alike:
 * unknown, disabled or undecryptable → the 4xx of the catalogue naming `param`.
 */
export function openVirtualKey(
  control: Pick<ControlLookup, "virtualKey">,
  tenantId: string,
  virtualKeyId: string,
  param: string,
): OpenedVirtualKey {
  const found = control.virtualKey(tenantId, virtualKeyId);
  if (found.status === "unknown")
    throw new GatewayError("unknown_virtual_key", `virtual key ${virtualKeyId} does not exist`, param);
  if (found.status === "disabled")
    throw new GatewayError("virtual_key_disabled", `virtual key ${virtualKeyId} is disabled`, param);
  const secrets: Record<string, string> = {};
  let apiKey: string | null;
  try {
    apiKey = found.credentials.reveal("api_key") ?? null;
    for (const field of VAULT_PROVIDER_SECRETS) {
      const value = found.credentials.reveal(field);
      if (value) secrets[field] = value;
    }
  } catch {
    throw new GatewayError("virtual_key_unusable", `virtual key ${virtualKeyId} cannot be decrypted`, param);
  }
  return { id: found.id, provider: found.provider, apiKey, fields: { ...found.fields, ...secrets } };
}
