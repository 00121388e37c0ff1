import { z } from "zod";

/**
 * What a breakdown can group and filter by. Each maps to one fixed SQL expression over `requests`; only these
 * expressions ever reach SQL text. `metadata.<key>` is the open-ended one: its key travels as a parameter.
 */
export const Dimension = z.enum([
  "tenant",
  "user",
  "model",
  "provider",
  "api_key",
  "virtual_key",
  "config",
  "prompt",
  "prompt_version",
  "endpoint",
  "status_class",
  "status_code",
  "error_type",
  "cache_status",
  "guardrail_verdict",
]);
export type Dimension = z.infer<typeof Dimension>;

/** A dimension key as SQL: a (Nullable) String, so top-N keys can be passed back as one Array parameter. */
export const DIMENSION_SQL: Record<Dimension, string> = {
  tenant: "tenant_id",
  user: "user",
  model: "model",
  provider: "provider",
  api_key: "api_key_id",
  virtual_key: "virtual_key_id",
  config: "config_id",
  prompt: "nullIf(prompt_id, '')",
  // "<prompt id>@<version>", null without a prompt template.
  prompt_version: "if(prompt_id = '', NULL, concat(prompt_id, '@', toString(prompt_version)))",
  endpoint: "endpoint",
  status_class: "concat(toString(intDiv(status_code, 100)), 'xx')",
  status_code: "toString(status_code)",
  error_type: "error_type",
  cache_status: "cache_status",
  guardrail_verdict: "guardrail_verdict",
};

/** Key columns of migration 003's rollup_hourly projection. */
const HOURLY_ROLLUP: ReadonlySet<Dimension> = new Set([
  "tenant",
  "model",
  "provider",
  "endpoint",
  "status_class",
  "status_code",
  "cache_status",
  "guardrail_verdict",
]);
/** Key columns of rollup_daily_keys. */
const DAILY_ROLLUP: ReadonlySet<Dimension> = new Set([
  "tenant",
  "user",
  "api_key",
  "virtual_key",
  "config",
  "prompt",
  "prompt_version",
]);

/** Which stored structure can answer a query over these dimensions (metadata forces the raw rows). */
export type Source = "rollup_hourly" | "rollup_daily_keys" | "rows";

export function sourceFor(dimensions: readonly Dimension[], usesMetadata: boolean): Source[] {
  if (usesMetadata) return ["rows"];
  const fits = (rollup: ReadonlySet<Dimension>) => dimensions.every((d) => rollup.has(d));
  const sources: Source[] = [];
  if (fits(HOURLY_ROLLUP)) sources.push("rollup_hourly");
  if (fits(DAILY_ROLLUP)) sources.push("rollup_daily_keys");
  sources.push("rows");
  return sources;
}

/**
 * A metadata key as users send it (x-portkey-metadata keys). Anything else is refused with a 400, so odd
 * characters never reach the store even as a parameter.
 */
export const METADATA_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/;
