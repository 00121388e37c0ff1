import { formatIssue } from "@switchyard/events";
import type { SavedConfigValidator } from "@switchyard/platform";
import { validateConfig } from "../routing/config-schema.ts";

/**
 * Saved configs are checked with the gateway's one config schema (gateway/src/routing/) when they
 * are written through the admin API and when the declarative file is loaded, so a stored config
 * is one the request path accepts. The request path validates again on use (the schema may have
 * tightened since the config was stored).
 */
export const validateSavedConfig: SavedConfigValidator = (config) => {
  const result = validateConfig(config);
  if (result.ok) return [];
  return result.issues.map((issue) => formatIssue(issue, { root: "config" }));
};
