import { apiGet } from "../api.ts";
import { lineChart } from "../chart.ts";
import { formatInt, formatUsd, h } from "../dom.ts";
import { DIMENSIONS, endpoints } from "../endpoints.ts";
import { bucketsOf, hrefOf, type Interval, rangeQuery, type TimeRange, updateParams } from "../state.ts";
import type { BreakdownRow, SeriesRow } from "../types.ts";
import { dataTable, emptyState, loadInto, type TableColumn } from "../ui.ts";

interface Scope {
  range: TimeRange;
  filters: Record<string, string>;
  params: URLSearchParams;
}

const METRICS = [
  "requests",
  "errors",
  "error_rate",
  "input_tokens",
  "output_tokens",
  "cost_usd",
  "cost_saved_usd",
  "latency_p50_ms",
  "latency_p99_ms",
  "ttft_p50_ms",
  "cache_hit_rate",
  "rescued",
] as const;
type Metric = (typeof METRICS)[number];

const num = (v: unknown): number | null => (typeof v === "number" ? v : null);
const show: Record<Metric, (v: number) => string> = {
  requests: formatInt,
  errors: formatInt,
  error_rate: (v) => `${(v * 100).toFixed(1)}%`,
  input_tokens: formatInt,
  output_tokens: formatInt,
  cost_usd: formatUsd,
  cost_saved_usd: formatUsd,
  latency_p50_ms: (v) => formatInt(Math.round(v)),
  latency_p99_ms: (v) => formatInt(Math.round(v)),
  ttft_p50_ms: (v) => formatInt(Math.round(v)),
  cache_hit_rate: (v) => `${(v * 100).toFixed(1)}%`,
  rescued: formatInt,
};

/** The log filter a group's row links to: the dimension's own parameter (tenant's is tenant_id). */
const filterParam = (groupBy: string) => (groupBy === "tenant" ? "tenant_id" : groupBy);

/** Any metric by any dimension or metadata key, under the URL's filters; each group links to its requests. */
export function breakdownsPage({ range, filters, params }: Scope): HTMLElement {
  const groupBy = params.get("group_by") || "model";
  const sort = METRICS.find((m) => m === params.get("sort")) ?? "cost_usd";
  const metaKey = groupBy.startsWith("metadata.") ? groupBy.slice("metadata.".length) : "";
  const select = h(
    "select",
    { id: "group-by", onchange: (e: Event) => updateParams({ group_by: (e.target as HTMLSelectElement).value }) },
    DIMENSIONS.map((d) => h("option", { value: d, selected: d === groupBy }, d.replaceAll("_", " "))),
    metaKey ? h("option", { value: groupBy, selected: true }, `metadata: ${metaKey}`) : null,
  );
  const metaInput = h("input", { id: "group-by-metadata", value: metaKey, size: 12, placeholder: "e.g. team" });
  const metaForm = h(
    "form",
    {
      class: "inline",
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (metaInput.value.trim()) updateParams({ group_by: `metadata.${metaInput.value.trim()}` });
      },
    },
    h("label", { for: "group-by-metadata" }, "or metadata key"),
    metaInput,
    h("button", { type: "submit" }, "Group"),
  );
  const sortSelect = h(
    "select",
    { id: "sort-by", onchange: (e: Event) => updateParams({ sort: (e.target as HTMLSelectElement).value }) },
    METRICS.map((m) => h("option", { value: m, selected: m === sort }, m.replaceAll("_", " "))),
  );
  const results = h("section", { class: "panel", "aria-label": `Breakdown by ${groupBy}` });
  void loadInto(results, async () => {
    const query = { ...rangeQuery(range), ...filters, group_by: groupBy, sort };
    const [answer, series] = await Promise.all([
      apiGet<{ from: string; to: string; data: BreakdownRow[] }>(endpoints.breakdown, {
        ...query,
        metrics: METRICS.join(","),
        limit: "50",
      }),
      apiGet<{ from: string; to: string; interval: Interval; data: SeriesRow[] }>(endpoints.series, {
        ...query,
        metrics: sort,
        interval: range.interval,
        limit: "5",
      }),
    ]);
    if (answer.data.length === 0) return emptyState("requests");
    const maxCost = Math.max(...answer.data.map((r) => num(r.cost_usd) ?? 0), 1e-12);
    const keyCell = (r: BreakdownRow) => {
      if (r.is_other) return "(other)";
      if (r.key === null) return "(none)";
      const query = new URLSearchParams(params);
      for (const name of ["group_by", "sort"]) query.delete(name);
      query.set(filterParam(groupBy), r.key);
      return h("a", { href: hrefOf("/log", query) }, r.key);
    };
    const columns: TableColumn<BreakdownRow>[] = [
      { label: groupBy, value: (r) => (r.is_other ? "(other)" : (r.key ?? "(none)")), render: keyCell },
      ...METRICS.map(
        (m): TableColumn<BreakdownRow> => ({
          label: m.replaceAll("_", " "),
          value: (r) => num(r[m]),
          numeric: true,
          render: (r) => {
            const v = num(r[m]);
            if (v === null) return "–";
            if (m !== "cost_usd") return show[m](v);
            return h(
              "span",
              { class: "bar-cell" },
              h("span", { class: "bar", style: `width:${Math.round((v / maxCost) * 100)}%` }),
              show[m](v),
            );
          },
        }),
      ),
    ];
    return [
      groupsChart(`${sort.replaceAll("_", " ")} per ${series.interval}, top 5 by ${groupBy}`, series, sort),
      dataTable(
        `By ${groupBy}, sorted by ${sort.replaceAll("_", " ")}`,
        `breakdown-by-${groupBy}.csv`,
        columns,
        answer.data,
      ),
    ];
  });
  return h(
    "div",
    null,
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: "group-by" }, "Group by"),
      select,
      metaForm,
      h("label", { for: "sort-by" }, "Sort by"),
      sortSelect,
    ),
    results,
  );
}

/** One line per group (the top 5, the rest as "other") over every bucket of the range. */
function groupsChart(
  title: string,
  series: { from: string; to: string; interval: Interval; data: SeriesRow[] },
  metric: Metric,
): HTMLElement {
  const xs = bucketsOf(series.from, series.to, series.interval);
  const groups = new Map<string, Map<number, number>>();
  for (const row of series.data) {
    const name = row.is_other ? "(other)" : (row.key ?? "(none)");
    const points = groups.get(name) ?? new Map<number, number>();
    points.set(Date.parse(row.bucket), num(row[metric]) ?? 0);
    groups.set(name, points);
  }
  return lineChart(
    title,
    xs,
    [...groups.entries()].map(([label, points]) => ({
      label,
      values: xs.map((x) => points.get(x) ?? 0),
      format: show[metric],
    })),
    true,
  );
}
