import { z } from "zod";

/**
 * What a gateway API key may do. A key created with a `scopes` list is restricted to it. A key
 * without one has the default scopes: everything a key could do before scopes existed (call
 * models, read and write prompts, read analytics, send feedback), so such keys keep working. The
 * management scopes (the admin API's virtual keys, saved configs, saved guardrails and limits of
 * the key's own tenant) are never implied: a key must list them, so an application's key cannot
 * raise its own budget or read its tenant's provider credentials. Admin-role keys and open
 * local-dev mode have every scope.
 */
export const DEFAULT_API_KEY_SCOPES = [
  "completions",
  "prompts.read",
  "prompts.write",
  "analytics.read",
  "feedback.write",
] as const;

/** The admin API for the key's own tenant (gateway/src/admin/): listed explicitly, never a default. */
export const MANAGEMENT_SCOPES = [
  "virtual_keys.read",
  "virtual_keys.write",
  "configs.read",
  "configs.write",
  "guardrails.read",
  "guardrails.write",
  "limits.read",
  "limits.write",
] as const;

export const API_KEY_SCOPES = [...DEFAULT_API_KEY_SCOPES, ...MANAGEMENT_SCOPES] as const;
export const ApiKeyScope = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

/** A key's scope list as stored: absent = the defaults; present = non-empty and without duplicates. */
export const ApiKeyScopes = z
  .array(ApiKeyScope)
  .min(1, "give at least one scope, or leave scopes out for the default ones")
  .max(API_KEY_SCOPES.length)
  .refine((scopes) => new Set(scopes).size === scopes.length, "lists a scope twice");

/** True when a principal whose key carries `scopes` (null = all) may do `scope`. */
export function scopeAllows(scopes: readonly ApiKeyScope[] | null, scope: ApiKeyScope): boolean {
  return scopes === null || scopes.includes(scope);
}
