import { apiGet } from "../api.ts";
import { formatInt, formatTime, formatUsd, h } from "../dom.ts";
import { endpoints } from "../endpoints.ts";
import { hrefOf, rangeQuery, type TimeRange } from "../state.ts";
import type { BreakdownRow } from "../types.ts";
import { dataTable, loadInto } from "../ui.ts";

const METRICS =
  "requests,cost_usd,latency_p50_ms,latency_p99_ms,error_rate,feedback_count,feedback_weighted_avg,last_seen";

const num = (v: unknown): number | null => (typeof v === "number" ? v : null);
const orDash = (v: number | null, f: (n: number) => string) => (v === null ? "–" : f(v));

/** "<prompt id>@<version>" → its two parts. */
function splitVersion(key: string): { prompt: string; version: string } {
  const at = key.lastIndexOf("@");
  return at < 0 ? { prompt: key, version: "" } : { prompt: key.slice(0, at), version: key.slice(at + 1) };
}

/** Prompt templates and each of their versions with what they cost, how fast and how well they did. */
export function promptsPage({ range, filters }: { range: TimeRange; filters: Record<string, string> }): HTMLElement {
  const section = h("section", { class: "panel", "aria-label": "Prompts" });
  void loadInto(section, async () => {
    const answer = await apiGet<{ data: BreakdownRow[] }>(endpoints.breakdown, {
      ...rangeQuery(range),
      ...filters,
      group_by: "prompt_version",
      metrics: METRICS,
      limit: "200",
    });
    const versions = answer.data.filter((r) => r.key !== null && !r.is_other);
    if (versions.length === 0) {
      return h(
        "div",
        { class: "empty" },
        h("p", null, "No request in this time range was rendered from a prompt template."),
        h(
          "p",
          null,
          "Create a prompt with POST /v1/prompts on the gateway, then call POST /v1/prompts/{id}/completions.",
        ),
      );
    }
    const byPrompt = new Map<string, BreakdownRow[]>();
    for (const row of versions) {
      const { prompt } = splitVersion(String(row.key));
      byPrompt.set(prompt, [...(byPrompt.get(prompt) ?? []), row]);
    }
    return [...byPrompt.entries()].map(([prompt, rows]) =>
      dataTable(
        `Prompt ${prompt}: ${rows.length} version(s)`,
        `prompt-${prompt}.csv`,
        [
          {
            label: "version",
            value: (r: BreakdownRow) => splitVersion(String(r.key)).version,
            render: (r) =>
              h(
                "a",
                { href: hrefOf("/log", { ...filters, prompt_version: String(r.key) }) },
                `v${splitVersion(String(r.key)).version}`,
              ),
          },
          {
            label: "requests",
            value: (r) => num(r.requests),
            render: (r) => orDash(num(r.requests), formatInt),
            numeric: true,
          },
          {
            label: "cost (USD)",
            value: (r) => num(r.cost_usd),
            render: (r) => orDash(num(r.cost_usd), formatUsd),
            numeric: true,
          },
          {
            label: "latency p50 (ms)",
            value: (r) => num(r.latency_p50_ms),
            render: (r) => orDash(num(r.latency_p50_ms), (n) => formatInt(Math.round(n))),
            numeric: true,
          },
          {
            label: "latency p99 (ms)",
            value: (r) => num(r.latency_p99_ms),
            render: (r) => orDash(num(r.latency_p99_ms), (n) => formatInt(Math.round(n))),
            numeric: true,
          },
          {
            label: "error rate",
            value: (r) => num(r.error_rate),
            render: (r) => orDash(num(r.error_rate), (n) => `${(n * 100).toFixed(1)}%`),
            numeric: true,
          },
          {
            label: "feedback",
            value: (r) => num(r.feedback_count),
            render: (r) => orDash(num(r.feedback_count), formatInt),
            numeric: true,
          },
          {
            label: "weighted feedback",
            value: (r) => num(r.feedback_weighted_avg),
            render: (r) => orDash(num(r.feedback_weighted_avg), (n) => n.toFixed(2)),
            numeric: true,
          },
          {
            label: "last used",
            value: (r) => String(r.last_seen ?? ""),
            render: (r) => (r.last_seen ? formatTime(String(r.last_seen)) : "–"),
          },
        ],
        rows.sort((a, b) => Number(splitVersion(String(b.key)).version) - Number(splitVersion(String(a.key)).version)),
      ),
    );
  });
  return section;
}
