import type { ClickHouseClient } from "@clickhouse/client";
import { fromClickHouseDateTime } from "@switchyard/platform";
import { DIMENSION_SQL, type Dimension, manyGroups } from "../breakdown/dimensions.ts";
import {
  aggregatesSql,
  FEEDBACK_METRICS,
  type Metric,
  type MetricValues,
  metricValues,
  SORT_SQL,
  type SortableMetric,
  subtractable,
} from "../breakdown/metrics.ts";
import type { QueryPlan } from "../breakdown/query-plan.ts";
import { filterSql, type RequestFilter } from "./filter-sql.ts";
import { READ_QUERY_SETTINGS } from "./query-limits.ts";
import { toNumber } from "./sql-values.ts";

/** What to group by: a fixed dimension, or one metadata key (the key is a query parameter). */
export type GroupBy = { dimension: Dimension } | { metadataKey: string };

export interface BreakdownQuery {
  filter: RequestFilter;
  plan: QueryPlan;
  groupBy: GroupBy | null;
  metrics: readonly Metric[];
  sort: SortableMetric;
  order: "asc" | "desc";
  limit: number;
}

export type GroupRow = { key: string | null } & MetricValues;
export interface Breakdown {
  rows: GroupRow[];
  /** Everything past `limit`, folded into one row; null when nothing was left over. */
  other: MetricValues | null;
}
export type SeriesRow = { bucket: string; key: string | null; is_other?: true } & MetricValues;

type Raw = Record<string, unknown>;

function groupSql(groupBy: GroupBy | null): { sql: string; params: Record<string, unknown> } {
  if (groupBy === null) return { sql: "CAST(NULL AS Nullable(String))", params: {} };
  if ("dimension" in groupBy) return { sql: DIMENSION_SQL[groupBy.dimension], params: {} };
  // A missing key reads as ''; reported as null like any other absent dimension.
  return { sql: "nullIf(metadata[{group_key_name:String}], '')", params: { group_key_name: groupBy.metadataKey } };
}

/**
 * Whether a row's group is one of the top keys (Bool): `IN` looks each row up in a hash set where
 * `has()` scans the whole array per row (1,000 keys over a 30-day read: ~5 s of CPU for the "other" row).
 * A null key is matched apart (`IN` never matches NULL; transform_null_in would, but it keeps ClickHouse off
 * the rollup projections), so the result is the one `has()` gives (breakdown.test.ts EXPLAINs the projections).
 */
function inTop(groupSql: string, topKeys: readonly (string | null)[]) {
  return {
    sql: `if(isNull(${groupSql}), {top_has_null:Bool}, assumeNotNull(${groupSql}) IN {top_keys_set:Array(String)})`,
    params: { top_has_null: topKeys.includes(null), top_keys_set: topKeys.filter((k) => k !== null) },
  };
}

/** SQL and parameters of the top-N query (exported so tests can EXPLAIN what runs). */
export function topGroupsQuery(
  q: BreakdownQuery,
  withTotals = false,
): { sql: string; params: Record<string, unknown> } {
  const { where, params } = filterSql(q.filter, q.plan.bounds);
  const group = groupSql(q.groupBy);
  const direction = q.order === "asc" ? "ASC" : "DESC";
  return {
    sql: `SELECT ${group.sql} AS group_key, ${aggregatesSql([...q.metrics, q.sort])}
    FROM requests ${where}
    GROUP BY group_key${withTotals ? " WITH TOTALS" : ""}
    ORDER BY ${SORT_SQL[q.sort]} ${direction}, group_key ASC
    LIMIT {limit:UInt32}
    SETTINGS ${READ_QUERY_SETTINGS}`,
    // One more than asked: a row past the limit means there is an "other" row to compute.
    params: { ...params, ...group.params, limit: q.limit + 1 },
  };
}

/**
 * Every metric for the groups in `topKeys` and, folded into one row (`in_top` = 0), for all the others: one
 * pass where a percentile "other" row would otherwise take a second one (percentile state merges are the costly
 * part of a breakdown). The key is a function of the rollup's own key, so the same projection answers it.
 */
export function foldedGroupsQuery(q: BreakdownQuery, topKeys: (string | null)[]) {
  const { where, params } = filterSql(q.filter, q.plan.bounds);
  const group = groupSql(q.groupBy);
  const top = inTop(group.sql, topKeys);
  return {
    sql: `SELECT if(${top.sql}, ${group.sql}, NULL) AS group_key,
      toUInt8(${top.sql}) AS in_top, ${aggregatesSql(q.metrics)}
    FROM requests ${where}
    GROUP BY group_key, in_top
    SETTINGS ${READ_QUERY_SETTINGS}`,
    params: { ...params, ...group.params, ...top.params },
  };
}

/** The aggregates of every group not in `topKeys`. */
export function otherGroupsQuery(q: BreakdownQuery, topKeys: (string | null)[]) {
  const { where, params } = filterSql(q.filter, q.plan.bounds);
  const group = groupSql(q.groupBy);
  const top = inTop(group.sql, topKeys);
  return {
    sql: `SELECT ${aggregatesSql(q.metrics)} FROM requests ${where}
      AND NOT ${top.sql}
    SETTINGS ${READ_QUERY_SETTINGS}`,
    params: { ...params, ...group.params, ...top.params },
  };
}

/** One point per (bucket, key); keys outside `topKeys` (when given) fold into one `other` series. */
export function seriesQuery(q: BreakdownQuery, topKeys: (string | null)[] | null) {
  const { where, params } = filterSql(q.filter, q.plan.bounds);
  const group = groupSql(q.groupBy);
  const top = topKeys === null ? null : inTop(group.sql, topKeys);
  const key =
    top === null
      ? `${group.sql} AS group_key, 1 AS in_top`
      : `if(${top.sql}, ${group.sql}, NULL) AS group_key, toUInt8(${top.sql}) AS in_top`;
  return {
    sql: `SELECT ${q.plan.bucketSql} AS bucket_start, ${key}, ${aggregatesSql(q.metrics)}
    FROM requests ${where}
    GROUP BY bucket_start, group_key, in_top
    ORDER BY bucket_start ASC, in_top DESC, group_key ASC
    SETTINGS ${READ_QUERY_SETTINGS}`,
    params: { ...params, ...group.params, ...top?.params },
  };
}

/** Past this many bytes, the feedback join's aggregation and hash table spill to disk (see feedbackQuery). */
const FEEDBACK_SPILL_BYTES = 64 * 1024 * 1024;
const FEEDBACK_SPILL_SETTINGS = `max_bytes_before_external_group_by = ${FEEDBACK_SPILL_BYTES},
      join_algorithm = 'grace_hash', max_bytes_in_join = ${FEEDBACK_SPILL_BYTES}`;

/**
 * Feedback count and weighted average per group: the latest revision of each feedback (feedback_current,
 * migration 004) joined to the window's requests on (tenant, trace id), so feedback a tenant wrote about
 * another tenant's trace never joins anything. Feedback on a trace counts once for every group its requests
 * fall in. The requests stream through the join's left side and the feedback is its hash table, so memory
 * follows the feedback, not the rows (a DISTINCT over the window's (tenant, trace, group) on the build side
 * held every request of a 30-day window: over 1 GiB at 10M rows); only joined rows are deduplicated.
 * The latest revisions (feedback_current's GROUP BY) and the join's hash table both grow with the number of
 * feedback ids (800k ids: over 760 MiB, so about 1M would hit the 1 GiB bound), so both spill to disk past
 * FEEDBACK_SPILL_BYTES: the same answer within ~250 MiB at 800k ids (4 s of CPU instead of failing), and below
 * that size nothing changes.
 */
export function feedbackQuery(q: BreakdownQuery) {
  const { where, params } = filterSql(q.filter, q.plan.bounds);
  const group = groupSql(q.groupBy);
  return {
    sql: `SELECT group_key, count() AS n, sum(value * weight) AS vw, sum(weight) AS w
    FROM (
      SELECT r.group_key AS group_key, any(f.value) AS value, any(f.weight) AS weight
      FROM (SELECT tenant_id, trace_id, ${group.sql} AS group_key FROM requests ${where}) AS r
      INNER JOIN feedback_current AS f ON r.tenant_id = f.tenant_id AND r.trace_id = f.trace_id
      GROUP BY r.tenant_id, f.feedback_id, r.group_key
    )
    GROUP BY group_key
    SETTINGS ${READ_QUERY_SETTINGS}, join_use_nulls = 0, ${FEEDBACK_SPILL_SETTINGS}`,
    params: { ...params, ...group.params },
  };
}

/** The total's sums and counts minus those of `rows` (the "other" row of a breakdown). */
function minus(totals: Raw, rows: readonly Raw[]): Raw {
  const rest: Raw = {};
  for (const [alias, total] of Object.entries(totals)) {
    if (alias.startsWith("m_")) rest[alias] = rows.reduce((left, r) => left - toNumber(r[alias]), toNumber(total));
  }
  return rest;
}

export class BreakdownRepository {
  readonly #client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.#client = client;
  }

  async #rows(query: { sql: string; params: Record<string, unknown> }): Promise<Raw[]> {
    const result = await this.#client.query({ query: query.sql, query_params: query.params, format: "JSONEachRow" });
    return result.json<Raw>();
  }

  /**
   * Top `limit` groups by the sort metric, and the rest folded into `other`. When every metric is a sum or a
   * count, the rest is the total (WITH TOTALS, same pass) minus the top groups. With percentiles or last_seen
   * sorted by a sum or count, grouped by a dimension with many groups, a sums-only pass finds the top keys
   * (cheap: no percentile merge) and one full pass answers them and the rest together (foldedGroupsQuery).
   * Otherwise the top query is the only pass unless there is a rest, which a second query over the groups
   * outside the top answers.
   */
  async breakdown(q: BreakdownQuery): Promise<Breakdown> {
    const bySubtraction = subtractable(q.metrics);
    // By a metadata key or a high-cardinality dimension: more groups than the page, so an "other" row is likely.
    const likelyOther = q.groupBy !== null && ("metadataKey" in q.groupBy || manyGroups(q.groupBy.dimension));
    if (!bySubtraction && likelyOther && subtractable([q.sort])) {
      return this.#addFeedbackTo(q, await this.#foldedBreakdown(q));
    }
    const query = topGroupsQuery(q, bySubtraction);
    const result = await this.#client.query({ query: query.sql, query_params: query.params, format: "JSON" });
    const { data: top, totals } = await result.json<Raw>();
    const kept = top.slice(0, q.limit);
    const keys = kept.map((r) => (r.group_key as string | null) ?? null);
    let other: MetricValues | null = null;
    if (top.length > q.limit) {
      const rest = bySubtraction && totals ? minus(totals, kept) : (await this.#rows(otherGroupsQuery(q, keys)))[0];
      if (rest) other = metricValues(rest, q.metrics);
    }
    const rows: GroupRow[] = kept.map((r, i) => ({ key: keys[i] ?? null, ...metricValues(r, q.metrics) }));
    return this.#addFeedbackTo(q, { rows, other });
  }

  /** The top keys from a pass over the sort metric alone, then every metric of them and of the rest in one pass. */
  async #foldedBreakdown(q: BreakdownQuery): Promise<Breakdown> {
    const ranked = await this.#rows(topGroupsQuery({ ...q, metrics: [q.sort] }));
    const keys = ranked.slice(0, q.limit).map((r) => (r.group_key as string | null) ?? null);
    const folded = await this.#rows(foldedGroupsQuery(q, keys));
    const top = folded.filter((r) => toNumber(r.in_top) === 1);
    const byKey = new Map(top.map((r) => [(r.group_key as string | null) ?? null, r]));
    const rows: GroupRow[] = [];
    for (const key of keys) {
      const r = byKey.get(key);
      // A group can only be missing if its rows were deleted between the passes (a TTL or a replay).
      if (r !== undefined) rows.push({ key, ...metricValues(r, q.metrics) });
    }
    const rest = ranked.length > q.limit ? folded.find((r) => toNumber(r.in_top) === 0) : undefined;
    return { rows, other: rest === undefined ? null : metricValues(rest, q.metrics) };
  }

  async #addFeedbackTo(q: BreakdownQuery, result: Breakdown): Promise<Breakdown> {
    if (q.metrics.some((m) => FEEDBACK_METRICS.has(m))) await this.#addFeedback(q, result.rows, result.other);
    return result;
  }

  async #addFeedback(q: BreakdownQuery, rows: GroupRow[], other: MetricValues | null): Promise<void> {
    const byKey = new Map<string | null, { n: number; vw: number; w: number }>();
    for (const r of await this.#rows(feedbackQuery(q))) {
      byKey.set((r.group_key as string | null) ?? null, { n: toNumber(r.n), vw: Number(r.vw), w: Number(r.w) });
    }
    const put = (target: MetricValues, f: { n: number; vw: number; w: number } | undefined) => {
      if (q.metrics.includes("feedback_count")) target.feedback_count = f?.n ?? 0;
      if (q.metrics.includes("feedback_weighted_avg")) target.feedback_weighted_avg = f && f.w > 0 ? f.vw / f.w : null;
    };
    for (const row of rows) {
      put(row, byKey.get(row.key));
      byKey.delete(row.key);
    }
    if (other !== null) {
      const rest = { n: 0, vw: 0, w: 0 };
      for (const f of byKey.values()) {
        rest.n += f.n;
        rest.vw += f.vw;
        rest.w += f.w;
      }
      put(other, rest.n === 0 ? undefined : rest);
    }
  }

  /** A series of the chosen metrics per bucket, for the top `limit` groups (the rest as one `other` series). */
  async series(q: BreakdownQuery): Promise<SeriesRow[]> {
    let topKeys: (string | null)[] | null = null;
    if (q.groupBy !== null) {
      const top = await this.#rows(topGroupsQuery(q));
      if (top.length > q.limit) topKeys = top.slice(0, q.limit).map((r) => (r.group_key as string | null) ?? null);
    }
    return (await this.#rows(seriesQuery(q, topKeys))).map((r) => ({
      bucket: fromClickHouseDateTime(String(r.bucket_start)),
      key: (r.group_key as string | null) ?? null,
      ...(toNumber(r.in_top) === 0 ? { is_other: true as const } : {}),
      ...metricValues(r, q.metrics),
    }));
  }
}
