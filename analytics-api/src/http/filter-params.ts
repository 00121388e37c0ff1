import { z } from "zod";
import { Dimension, METADATA_KEY } from "../breakdown/dimensions.ts";
import { AnalyticsError } from "../errors.ts";
import { instant, tenantIds } from "./query-params.ts";

const MAX_VALUES = 100;
const MAX_METADATA_FILTERS = 10;
const METADATA_PREFIX = "metadata.";

/**
 * `model=gpt-4o,gpt-4o-mini` or `model=gpt-4o&model=gpt-4o-mini`: any of these values. Bounded in count and
 * length; the values only ever travel as query parameters.
 */
export const valueList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s !== ""))
  .pipe(
    z
      .array(z.string().max(256, "a value has at most 256 characters"))
      .min(1, "give at least one value")
      .max(MAX_VALUES, `at most ${MAX_VALUES} values`),
  );

/** One optional filter per dimension, named after it (the tenant one is `tenant_id`, shared with every endpoint). */
const dimensionFilters = Object.fromEntries(
  Dimension.options.filter((d) => d !== "tenant").map((d) => [d, valueList.optional()]),
) as Record<Exclude<Dimension, "tenant">, z.ZodOptional<typeof valueList>>;

/** Parameters every filtered read shares: the window, tenants, status and one filter per dimension. */
export const FilterFields = {
  from: instant.optional(),
  to: instant.optional(),
  tenant_id: tenantIds.default([]),
  status: z.enum(["success", "error"]).optional(),
  ...dimensionFilters,
};

export interface MetadataFilter {
  key: string;
  values: string[];
}

/** The dimension filters of a parsed query, as [dimension, values] pairs. */
export function dimensionFiltersOf(query: Record<string, unknown>): [Dimension, string[]][] {
  const pairs: [Dimension, string[]][] = [];
  for (const d of Dimension.options) {
    const values = query[d];
    if (d !== "tenant" && Array.isArray(values)) pairs.push([d, values as string[]]);
  }
  return pairs;
}

/**
 * Splits `metadata.<key>=v1,v2` parameters off a raw query string object (their names are open-ended, so
 * no static schema lists them). A key with odd characters is a 400 naming the parameter.
 */
export function splitMetadataFilters(raw: unknown): { rest: Record<string, unknown>; metadata: MetadataFilter[] } {
  const rest: Record<string, unknown> = {};
  const metadata: MetadataFilter[] = [];
  for (const [name, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    if (!name.startsWith(METADATA_PREFIX)) {
      rest[name] = value;
      continue;
    }
    const key = name.slice(METADATA_PREFIX.length);
    if (!METADATA_KEY.test(key)) {
      throw new AnalyticsError(
        "invalid_parameter",
        `invalid metadata key in '${name.slice(0, 80)}': keys are 1-64 of A-Z a-z 0-9 _ . : - (not starting with . : -)`,
        name.slice(0, 80),
      );
    }
    const parsed = valueList.safeParse(value);
    if (!parsed.success) {
      throw new AnalyticsError(
        "invalid_parameter",
        `invalid value for '${name}': ${parsed.error.issues[0]?.message}`,
        name,
      );
    }
    metadata.push({ key, values: parsed.data });
  }
  if (metadata.length > MAX_METADATA_FILTERS) {
    throw new AnalyticsError("invalid_parameter", `at most ${MAX_METADATA_FILTERS} metadata filters`, "metadata");
  }
  return { rest, metadata };
}
