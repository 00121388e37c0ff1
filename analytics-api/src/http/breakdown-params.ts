import { z } from "zod";
import { Dimension, METADATA_KEY } from "../breakdown/dimensions.ts";
import { DEFAULT_METRICS, Metric } from "../breakdown/metrics.ts";
import { FilterFields } from "./filter-params.ts";

const METADATA_GROUP = new RegExp(`^metadata\\.${METADATA_KEY.source.slice(1, -1)}$`);

/** `group_by`: a dimension, or `metadata.<key>` for any key users send. */
export const GroupByParam = z.union([
  Dimension,
  z
    .string()
    .regex(
      METADATA_GROUP,
      `must be one of ${Dimension.options.join(", ")} or metadata.<key> (key: 1-64 of A-Z a-z 0-9 _ . : -)`,
    ),
]);

const metricList = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((m) => m.trim())
      .filter((m) => m !== ""),
  )
  .pipe(z.array(Metric).min(1).max(Metric.options.length));

const common = {
  ...FilterFields,
  group_by: GroupByParam.optional(),
  metrics: metricList.optional(),
  sort: Metric.default("requests"),
  order: z.enum(["asc", "desc"]).default("desc"),
};

/** GET /v1/analytics/breakdown: one row per group, the top `limit` by `sort`, the rest as an `other` row. */
export const BreakdownParams = z.strictObject({
  ...common,
  interval: z.enum(["hour", "day"]).default("hour"),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
});
export type BreakdownParams = z.infer<typeof BreakdownParams>;

/** GET /v1/analytics/series: metrics per time bucket, for the top `limit` groups (the rest as one `other` series). */
export const SeriesParams = z.strictObject({
  ...common,
  interval: z.enum(["minute", "hour", "day"]).default("hour"),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});
export type SeriesParams = z.infer<typeof SeriesParams>;

export const metricsOrDefault = (metrics: Metric[] | undefined): readonly Metric[] => metrics ?? DEFAULT_METRICS;
