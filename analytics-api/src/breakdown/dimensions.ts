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

/** The dimensions of each rollup that is left after migration 006 (besides the tenant, which every rollup keys by). */
const LOW_CARDINALITY: readonly Dimension[] = [
  "model",
  "provider",
  "endpoint",
  "status_class",
  "status_code",
  "cache_status",
  "guardrail_verdict",
];
/**
 * The day-resolution rollups. API keys, virtual keys, configs and prompts have none since migration 006 (their
 * rollups cost every insert more than the reads they served): those breakdowns read the rows.
 */
const DAILY_ROLLUPS = {
  rollup_daily: LOW_CARDINALITY,
  rollup_daily_users: ["user"],
} as const satisfies Record<string, readonly Dimension[]>;

/**
 * Whether grouping by `dimension` usually yields more groups than a page holds. Only then does a breakdown find
 * its top keys in a sums-only pass first (for its "other" row): with a handful of groups that pass is pure cost.
 */
export const manyGroups = (dimension: Dimension): boolean => !LOW_CARDINALITY.includes(dimension);

/** Every structure a query can be answered from, as the API echoes it in `source`. */
export const SOURCES = [
  "rollup_hourly",
  ...(Object.keys(DAILY_ROLLUPS) as (keyof typeof DAILY_ROLLUPS)[]),
  "rows",
] as const;
/** Which stored structure answers a query (the rows when no rollup holds its dimensions). */
export type Source = (typeof SOURCES)[number];

const fits = (dimensions: readonly Dimension[], keys: readonly Dimension[]) =>
  dimensions.every((d) => d === "tenant" || keys.includes(d));

/** The rollup holding every one of `dimensions` at `resolution`, or "rows" (metadata is only in the rows). */
export function sourceFor(dimensions: readonly Dimension[], usesMetadata: boolean, resolution: "hour" | "day"): Source {
  if (usesMetadata) return "rows";
  if (resolution === "hour") return fits(dimensions, LOW_CARDINALITY) ? "rollup_hourly" : "rows";
  for (const [name, keys] of Object.entries(DAILY_ROLLUPS)) {
    if (fits(dimensions, keys)) return name as Source;
  }
  return "rows";
}

/**
 * A metadata key as users send it (x-portkey-metadata keys). Anything else is refused with a 400, so odd
 * characters never reach the store even as a parameter.
 */
export const METADATA_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/;
