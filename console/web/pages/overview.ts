import { apiGet } from "../api.ts";
import { lineChart } from "../chart.ts";
import { formatInt, formatUsd, h } from "../dom.ts";
import { endpoints } from "../endpoints.ts";
import { bucketsOf, type Interval, rangeQuery, type TimeRange } from "../state.ts";
import type { BreakdownRow, SeriesRow } from "../types.ts";
import { dataTable, emptyState, loadInto } from "../ui.ts";

interface Scope {
  range: TimeRange;
  filters: Record<string, string>;
}

interface Answer<T> {
  from: string;
  to: string;
  interval: Interval;
  data: T[];
}

const TOTAL_METRICS = "requests,errors,error_rate,cost_usd,cost_saved_usd,latency_p50_ms,latency_p99_ms,cache_hit_rate";
const SERIES_METRICS = "requests,errors,cost_usd,latency_p50_ms,latency_p99_ms";
const MODEL_METRICS = "requests,input_tokens,output_tokens,cost_usd,latency_p50_ms";

const num = (v: unknown): number => (typeof v === "number" ? v : 0);
const ms = (v: number) => `${formatInt(Math.round(v))} ms`;
const pct = (v: unknown) => (typeof v === "number" ? `${(v * 100).toFixed(1)}%` : "–");

function stat(label: string, value: string): HTMLElement {
  return h(
    "div",
    { class: "stat" },
    h("span", { class: "stat-label" }, label),
    h("span", { class: "stat-value" }, value),
  );
}

/** Totals; requests, cost, errors and latency per bucket (every bucket of the range, empty ones as zero); models. */
export function overviewPage({ range, filters }: Scope): HTMLElement {
  const section = h("section", { class: "panel", "aria-label": "Overview" });
  const query = { ...rangeQuery(range), ...filters };
  void loadInto(section, async () => {
    const [totals, series, byModel] = await Promise.all([
      apiGet<Answer<BreakdownRow>>(endpoints.breakdown, { ...query, metrics: TOTAL_METRICS }),
      apiGet<Answer<SeriesRow>>(endpoints.series, { ...query, interval: range.interval, metrics: SERIES_METRICS }),
      apiGet<Answer<BreakdownRow>>(endpoints.breakdown, {
        ...query,
        group_by: "model",
        metrics: MODEL_METRICS,
        sort: "cost_usd",
      }),
    ]);
    const total = totals.data[0];
    if (!total || num(total.requests) === 0) return emptyState("requests");
    const xs = bucketsOf(series.from, series.to, series.interval);
    const at = new Map(series.data.map((row) => [Date.parse(row.bucket), row]));
    const column = (metric: string) => xs.map((x) => num(at.get(x)?.[metric]));
    return [
      h(
        "div",
        { class: "stats" },
        stat("Requests", formatInt(num(total.requests))),
        stat("Cost", formatUsd(num(total.cost_usd))),
        stat("Error rate", pct(total.error_rate)),
        stat("Latency p50", total.latency_p50_ms === null ? "–" : ms(num(total.latency_p50_ms))),
        stat("Cache hit rate", pct(total.cache_hit_rate)),
        stat("Saved by cache", formatUsd(num(total.cost_saved_usd))),
      ),
      h(
        "div",
        { class: "grid2" },
        lineChart(`Requests and cost per ${series.interval}`, xs, [
          { label: "requests", values: column("requests"), format: formatInt },
          { label: "cost", values: column("cost_usd"), format: formatUsd },
        ]),
        lineChart(`Latency and errors per ${series.interval}`, xs, [
          { label: "p50 latency", values: column("latency_p50_ms"), format: ms },
          { label: "errors", values: column("errors"), format: formatInt },
        ]),
      ),
      dataTable(
        "Models by cost",
        "models.csv",
        [
          { label: "model", value: (r: BreakdownRow) => (r.is_other ? "(other)" : (r.key ?? "(none)")) },
          {
            label: "requests",
            value: (r) => num(r.requests),
            render: (r) => formatInt(num(r.requests)),
            numeric: true,
          },
          {
            label: "input tokens",
            value: (r) => num(r.input_tokens),
            render: (r) => formatInt(num(r.input_tokens)),
            numeric: true,
          },
          {
            label: "output tokens",
            value: (r) => num(r.output_tokens),
            render: (r) => formatInt(num(r.output_tokens)),
            numeric: true,
          },
          {
            label: "latency p50 (ms)",
            value: (r) => num(r.latency_p50_ms),
            render: (r) => ms(num(r.latency_p50_ms)),
            numeric: true,
          },
          {
            label: "cost (USD)",
            value: (r) => num(r.cost_usd),
            render: (r) => formatUsd(num(r.cost_usd)),
            numeric: true,
          },
        ],
        byModel.data,
      ),
    ];
  });
  return section;
}
