import { apiDownload, apiGet } from "../api.ts";
import { h } from "../dom.ts";
import { endpoints } from "../endpoints.ts";
import { hrefOf, navigate, rangeQuery, type TimeRange, updateParams } from "../state.ts";
import type { LogLine } from "../types.ts";
import { emptyState, loadInto, problemView } from "../ui.ts";
import { requestsTable } from "./requests-table.ts";

interface SearchAnswer {
  data: LogLine[];
  next_cursor: string | null;
}

const TEXT_FILTERS = [
  { name: "user", label: "User" },
  { name: "model", label: "Model" },
  { name: "provider", label: "Provider" },
] as const;

function searchForm(params: URLSearchParams): HTMLFormElement {
  const inputs = TEXT_FILTERS.map((f) =>
    h("input", {
      id: `filter-${f.name}`,
      name: f.name,
      value: params.get(f.name) ?? "",
      autocomplete: "off",
      size: 14,
    }),
  );
  const status = h(
    "select",
    { id: "filter-status", name: "status" },
    [
      ["", "any"],
      ["success", "success"],
      ["error", "error"],
    ].map(([value, label]) => h("option", { value, selected: (params.get("status") ?? "") === value }, label)),
  );
  const trace = h("input", {
    id: "filter-trace",
    name: "trace",
    autocomplete: "off",
    placeholder: "trace id",
    size: 18,
  });
  return h(
    "form",
    {
      class: "toolbar",
      role: "search",
      onsubmit: (event: Event) => {
        event.preventDefault();
        const traceId = trace.value.trim();
        if (traceId) {
          navigate(hrefOf(`/traces/${encodeURIComponent(traceId)}`));
          return;
        }
        updateParams({
          ...Object.fromEntries(inputs.map((i) => [i.name, i.value.trim()])),
          status: status.value,
          cursor: undefined,
        });
      },
    },
    TEXT_FILTERS.map((f, i) => [h("label", { for: `filter-${f.name}` }, f.label), inputs[i]]),
    h("label", { for: "filter-status" }, "Status"),
    status,
    h("label", { for: "filter-trace" }, "Trace id"),
    trace,
    h("button", { type: "submit" }, "Search"),
  );
}

/** The request log: newest first, filtered by the URL's filters, a page at a time; each row opens its detail. */
export function logPage({
  range,
  filters,
  params,
}: {
  range: TimeRange;
  filters: Record<string, string>;
  params: URLSearchParams;
}): HTMLElement {
  const results = h("section", { class: "panel", "aria-label": "Requests" });
  const query = { ...rangeQuery(range), ...filters };
  const exportStatus = h("span", { role: "status" });
  const exportButton = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        exportStatus.textContent = "Exporting…";
        try {
          await apiDownload(endpoints.requestExport, { ...query, format: "csv" }, "requests.csv");
          exportStatus.textContent = "";
        } catch (error) {
          exportStatus.replaceChildren(problemView(error));
        }
      },
    },
    "Export all matching (CSV)",
  );
  void loadInto(results, async () => {
    const answer = await apiGet<SearchAnswer>(endpoints.requestSearch, {
      ...query,
      limit: "50",
      cursor: params.get("cursor") ?? undefined,
    });
    if (answer.data.length === 0) return emptyState("requests match these filters");
    const described = Object.entries(filters)
      .map(([k, v]) => `${k} = ${v}`)
      .join(", ");
    const next = new URLSearchParams(params);
    if (answer.next_cursor) next.set("cursor", answer.next_cursor);
    return [
      requestsTable(
        `Requests${described ? ` where ${described}` : ""}, newest first`,
        "requests-page.csv",
        answer.data,
      ),
      h(
        "p",
        { class: "pager" },
        params.get("cursor")
          ? h(
              "a",
              { href: hrefOf("/log", Object.fromEntries([...params].filter(([k]) => k !== "cursor"))) },
              "← Newest",
            )
          : null,
        answer.next_cursor ? h("a", { href: hrefOf("/log", next) }, "Older requests →") : null,
      ),
    ];
  });
  return h("div", null, searchForm(params), h("div", { class: "toolbar" }, exportButton, exportStatus), results);
}
