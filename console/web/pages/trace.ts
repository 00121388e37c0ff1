import { apiGet } from "../api.ts";
import { h } from "../dom.ts";
import { endpoints } from "../endpoints.ts";
import type { TraceAnswer } from "../types.ts";
import { loadInto } from "../ui.ts";
import { lineOf, ms, requestsTable, usd } from "./requests-table.ts";

/** A timeline: each request of the trace as a bar from its start over its latency. */
function waterfall(answer: TraceAnswer): HTMLElement {
  const starts = answer.requests.map((r) => Date.parse(r.occurred_at));
  const t0 = Math.min(...starts);
  const end = Math.max(...answer.requests.map((r, i) => starts[i]! + r.latency_ms));
  const span = Math.max(end - t0, 1);
  return h(
    "ol",
    { class: "waterfall", "aria-label": "Requests of the trace on a timeline" },
    answer.requests.map((r, i) => {
      const left = ((starts[i]! - t0) / span) * 100;
      const width = Math.max((r.latency_ms / span) * 100, 0.5);
      return h(
        "li",
        null,
        h(
          "span",
          { class: "wf-label" },
          `${r.model_used ?? r.model_requested} · ${r.provider} · ${ms(r.latency_ms)} ms`,
        ),
        h(
          "span",
          { class: "wf-track" },
          h("span", {
            class: `wf-bar${r.status_code >= 400 ? " wf-err" : ""}`,
            style: `left:${left}%;width:${width}%`,
          }),
        ),
      );
    }),
  );
}

export function tracePage(traceId: string): HTMLElement {
  const section = h("section", { class: "panel", "aria-label": `Trace ${traceId}` });
  void loadInto(section, async () => {
    const answer = await apiGet<TraceAnswer>(endpoints.trace(traceId));
    const cost = answer.requests.reduce((sum, r) => sum + r.cost_nano_usd, 0);
    return [
      h("p", null, `${answer.requests.length} request(s), ${usd(cost)} in total.`),
      waterfall(answer),
      requestsTable(`Requests of trace ${traceId}`, `trace-${traceId}.csv`, answer.requests.map(lineOf)),
    ];
  });
  return h("div", null, h("h1", null, "Trace ", h("code", null, traceId)), section);
}
