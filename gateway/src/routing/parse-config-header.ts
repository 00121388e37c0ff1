import type { ConfigIssue } from "./config-issues.ts";
import { type PortkeyConfig, validateConfig } from "./config-schema.ts";

export type ConfigHeaderResult =
  | { ok: true; config: PortkeyConfig }
  | { ok: false; kind: "saved_config_id"; id: string }
  | { ok: false; kind: "invalid"; issues: ConfigIssue[] };

const SAVED_CONFIG_ID = /^pc-[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * Reads `x-portkey-config`: a JSON object, or the id of a saved config (`pc-…`) for the
 * caller to look up and then pass to validateConfig.
 */
export function parseConfigHeader(raw: string): ConfigHeaderResult {
  const text = raw.trim();
  if (SAVED_CONFIG_ID.test(text)) return { ok: false, kind: "saved_config_id", id: text };
  if (!text.startsWith("{")) {
    return invalid("x-portkey-config must be a JSON object or a saved config id (pc-...)");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return invalid(`x-portkey-config is not valid JSON: ${(error as Error).message}`);
  }
  const validation = validateConfig(value);
  return validation.ok ? validation : { ok: false, kind: "invalid", issues: validation.issues };
}

function invalid(message: string): ConfigHeaderResult {
  return { ok: false, kind: "invalid", issues: [{ path: "", message }] };
}
