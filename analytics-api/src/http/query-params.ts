import { z } from "zod";
import { AnalyticsError } from "../errors.ts";

/** Grouping dimensions of the hourly rollup. */
export const GroupBy = z.enum(["user", "model", "provider", "tenant"]);
export type GroupBy = z.infer<typeof GroupBy>;

export const Interval = z.enum(["hour", "day"]);
export type Interval = z.infer<typeof Interval>;

/**
 * The instants a query may name. Events are stamped by the gateway's clock, so nothing lies outside;
 * the bound keeps every window (and its rounding to whole days) inside what ClickHouse's DateTime64
 * parameters accept — a year-9999 or year-0 bound was a 500 from the store (Code 457).
 */
export const EARLIEST_INSTANT = new Date("1970-01-01T00:00:00.000Z");
export const LATEST_INSTANT = new Date("2100-01-01T00:00:00.000Z");
const RANGE_MESSAGE = `must lie between ${EARLIEST_INSTANT.toISOString()} and ${LATEST_INSTANT.toISOString()}`;

/** ISO-8601 with an offset (`2025-06-01T00:00:00Z`), or epoch milliseconds as Grafana's `${__from}` sends them. */
export const instant = z
  .union([
    z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
    z
      .string()
      .regex(/^\d{1,15}$/, "must be ISO-8601 (e.g. 2025-06-01T00:00:00Z) or epoch milliseconds")
      .transform((s) => new Date(Number(s))),
  ])
  .refine((date) => {
    const time = date.getTime();
    return time >= EARLIEST_INSTANT.getTime() && time <= LATEST_INSTANT.getTime();
  }, RANGE_MESSAGE);

/**
 * `tenant_id=acme` or `tenant_id=acme,globex` (Grafana's `${tenant:csv}` for a multi-value or *All*
 * selection); empty means "no filter". Parsed to the list of tenant ids.
 */
export const tenantIds = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t !== ""),
  )
  .pipe(z.array(z.string().max(256, "a tenant id has at most 256 characters")).max(1000, "at most 1000 tenants"));

export const CostsQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  group_by: GroupBy.default("model"),
  tenant_id: tenantIds.default([]),
});
export type CostsQuery = z.infer<typeof CostsQuery>;

export const TimeseriesQuery = CostsQuery.extend({ interval: Interval.default("hour") });
export type TimeseriesQuery = z.infer<typeof TimeseriesQuery>;

export const TraceQuery = z.object({ tenant_id: tenantIds.default([]) });
export const TraceParams = z.object({ traceId: z.string().min(1).max(256) });

/** A union reports "Invalid input": name the accepted forms (an instant's, or the last branch's own message). */
function unionDetail(issue: z.core.$ZodIssue | undefined, param: string | null): string | undefined {
  if (issue?.code !== "invalid_union") return issue?.message;
  if (param === "from" || param === "to") return "must be ISO-8601 with an offset or epoch milliseconds";
  return issue.errors.at(-1)?.[0]?.message ?? issue.message;
}

/** Parses request input with `schema`; the first problem becomes a 400 naming the offending parameter. */
export function parseParams<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  // A strict schema names no path for an unknown parameter: name the parameter itself.
  const unknown = issue?.code === "unrecognized_keys" ? String(issue.keys[0]).slice(0, 80) : undefined;
  const param = unknown ?? (issue?.path[0] === undefined ? null : String(issue.path[0]));
  const detail = unknown !== undefined ? "unknown parameter" : unionDetail(issue, param);
  throw new AnalyticsError(
    "invalid_parameter",
    param === null ? `invalid request: ${detail}` : `invalid value for '${param}': ${detail}`,
    param,
  );
}
