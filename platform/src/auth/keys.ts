import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { type ApiKeyScope, ApiKeyScopes, DEFAULT_API_KEY_SCOPES } from "./scopes.ts";

/**
 * Gateway API keys. Only the SHA-256 of a key is ever stored or compared; the raw key lives
 * with its owner. Keys map to a tenant; an admin key may read every tenant's analytics.
 */
export const ApiKeyRecord = z.object({
  id: z.string().min(1),
  tenant_id: z.string().min(1),
  key_sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex chars (sha256 of the key)"),
  role: z.enum(["tenant", "admin"]).default("tenant"),
  revoked: z.boolean().default(false),
  /** Absent: the default scopes (scopes.ts). */
  scopes: ApiKeyScopes.optional(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecord>;

export const KeysFile = z.object({ keys: z.array(ApiKeyRecord) });
export type KeysFile = z.infer<typeof KeysFile>;

export function sha256Hex(raw: string): string {
  return createHash("sha256").update(raw, "utf8").digest("hex");
}

export interface Principal {
  tenantId: string;
  apiKeyId: string | null;
  role: "tenant" | "admin";
  /** What the key may do; null = everything (an admin key, open mode). A key without a list: the defaults. */
  scopes: readonly ApiKeyScope[] | null;
}

export type AuthOutcome =
  | { ok: true; principal: Principal }
  | { ok: false; reason: "missing_api_key" | "invalid_api_key" | "revoked_api_key" };

/**
 * Resolves gateway keys to principals. With no key configured the store is in open
 * local-dev mode: every caller is the default tenant's admin. Once a key exists, keys are required.
 */
export class KeyStore {
  private byHash = new Map<string, ApiKeyRecord>();
  readonly defaultTenant: string;

  constructor(records: readonly ApiKeyRecord[], defaultTenant: string) {
    this.defaultTenant = defaultTenant;
    this.replace(records);
  }

  /** Swaps the whole key set (hot reload / control-plane fold). */
  replace(records: readonly ApiKeyRecord[]): void {
    this.byHash = new Map(records.map((r) => [r.key_sha256, r]));
  }

  get openMode(): boolean {
    return this.byHash.size === 0;
  }

  /** True when `raw` is a known gateway key (revoked or not): such a value is never a provider key. */
  isGatewayKey(raw: string): boolean {
    return this.byHash.has(sha256Hex(raw));
  }

  authenticate(raw: string | undefined): AuthOutcome {
    if (this.openMode) {
      return { ok: true, principal: { tenantId: this.defaultTenant, apiKeyId: null, role: "admin", scopes: null } };
    }
    if (raw === undefined || raw === "") return { ok: false, reason: "missing_api_key" };
    const hash = sha256Hex(raw);
    const record = this.byHash.get(hash);
    // The map lookup already matched; the constant-time compare keeps the check explicit.
    if (!record || !timingSafeEqual(Buffer.from(record.key_sha256), Buffer.from(hash))) {
      return { ok: false, reason: "invalid_api_key" };
    }
    if (record.revoked) return { ok: false, reason: "revoked_api_key" };
    const scopes = record.role === "admin" ? null : (record.scopes ?? DEFAULT_API_KEY_SCOPES);
    return { ok: true, principal: { tenantId: record.tenant_id, apiKeyId: record.id, role: record.role, scopes } };
  }
}

/** `Authorization: Bearer X` → X; anything else → undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1]?.trim();
}
