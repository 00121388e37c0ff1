import { z } from "zod";

/**
 * What a gateway API key may do. A key without a `scopes` list has every scope (keys made before
 * scopes existed keep working); a key created with a list is restricted to it. Admin-role keys
 * and open local-dev mode have every scope.
 */
export const API_KEY_SCOPES = [
  "completions",
  "prompts.read",
  "prompts.write",
  "analytics.read",
  "feedback.write",
] as const;
export const ApiKeyScope = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

/** A key's scope list as stored: absent = all; present = non-empty and without duplicates. */
export const ApiKeyScopes = z
  .array(ApiKeyScope)
  .min(1, "give at least one scope, or leave scopes out for all of them")
  .max(API_KEY_SCOPES.length)
  .refine((scopes) => new Set(scopes).size === scopes.length, "lists a scope twice");

/** True when a principal whose key carries `scopes` (null = all) may do `scope`. */
export function scopeAllows(scopes: readonly ApiKeyScope[] | null, scope: ApiKeyScope): boolean {
  return scopes === null || scopes.includes(scope);
}
