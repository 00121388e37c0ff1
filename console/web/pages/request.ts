import { apiGet } from "../api.ts";
import { type Child, formatInt, formatTime, h } from "../dom.ts";
import { endpoints } from "../endpoints.ts";
import { hrefOf } from "../state.ts";
import type { GuardrailHook, LimitCheck, RequestRecord } from "../types.ts";
import { loadInto } from "../ui.ts";
import { ms, statusBadge, usd } from "./requests-table.ts";

function facts(pairs: [string, Child][]): HTMLElement {
  return h(
    "dl",
    { class: "facts" },
    pairs.map(([k, v]) => [h("dt", null, k), h("dd", null, v ?? "–")]),
  );
}

/** A body as recorded: indented when it is JSON, as it is otherwise (a stream's text, a truncated body). */
function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A table of a list the request carries (guardrail hooks, limit checks); nothing when the list is empty. */
function listTable<T>(caption: string, headers: string[], rows: T[], cells: (row: T) => string[]): HTMLElement | null {
  if (rows.length === 0) return null;
  return h(
    "table",
    null,
    h("caption", null, caption),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        headers.map((c) => h("th", { scope: "col" }, c)),
      ),
    ),
    h(
      "tbody",
      null,
      rows.map((row) =>
        h(
          "tr",
          null,
          cells(row).map((c) => h("td", null, c)),
        ),
      ),
    ),
  );
}

function keyValueTable(caption: string, entries: [string, Child][]): HTMLElement {
  return h(
    "table",
    null,
    h("caption", null, caption),
    h(
      "tbody",
      null,
      entries.map(([k, v]) => h("tr", null, h("th", { scope: "row" }, k), h("td", null, v))),
    ),
  );
}

/** The request's full record (attempts, checks, bodies) by its event id. */
function fetchRequest(eventId: string): Promise<RequestRecord> {
  return apiGet<RequestRecord>(endpoints.requestDetail(eventId));
}

export function requestPage(eventId: string): HTMLElement {
  const section = h("section", { class: "panel", "aria-label": "Request detail" });
  void loadInto(section, async () => {
    const r = await fetchRequest(eventId);
    const usage = r.usage;
    return [
      facts([
        ["time", formatTime(r.occurred_at)],
        ["status", [statusBadge(r.status_code), r.error_type ? ` ${r.error_type}: ${r.error_message ?? ""}` : ""]],
        ["tenant", r.tenant_id],
        ["user", r.user],
        ["endpoint", `${r.endpoint}${r.stream ? " (stream)" : ""}`],
        [
          "model",
          r.model_used && r.model_used !== r.model_requested
            ? `${r.model_requested} → ${r.model_used}`
            : r.model_requested,
        ],
        ["provider", r.provider],
        ["latency", `${ms(r.latency_ms)} ms (gateway overhead ${ms(r.gateway_overhead_ms)} ms)`],
        ["time to first token", r.ttft_ms === null ? null : `${ms(r.ttft_ms)} ms`],
        [
          "cache",
          r.cost_saved_nano_usd ? `${r.cache_status} (saved ${usd(Number(r.cost_saved_nano_usd))})` : r.cache_status,
        ],
        [
          "prompt",
          r.prompt_id
            ? `${r.prompt_id}@${r.prompt_version ?? "?"}${r.prompt_label ? ` (${r.prompt_label})` : ""}`
            : null,
        ],
        ["retries", String(r.retry_count)],
        ["cost", usd(r.cost_nano_usd)],
        ["trace", h("a", { href: hrefOf(`/traces/${encodeURIComponent(r.trace_id)}`) }, r.trace_id)],
        ["event id", h("code", null, r.event_id)],
      ]),
      h(
        "div",
        { class: "grid2" },
        keyValueTable(
          `Tokens${usage.estimated ? " (estimated)" : ""}`,
          Object.entries(usage)
            .filter(([k]) => k !== "estimated")
            .map(([k, v]) => [k.replaceAll("_", " "), formatInt(Number(v))]),
        ),
        keyValueTable(
          "Cost breakdown",
          Object.entries(r.cost_breakdown).map(([k, v]) => [k.replaceAll("_", " "), usd(v)]),
        ),
      ),
      keyValueTable(
        "Metadata",
        Object.keys(r.metadata).length === 0 ? [["(none)", ""]] : Object.entries(r.metadata).map(([k, v]) => [k, v]),
      ),
      h(
        "table",
        null,
        h("caption", null, `Attempts (${r.attempts.length})`),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["#", "provider", "model", "status", "latency (ms)", "error"].map((c) => h("th", { scope: "col" }, c)),
          ),
        ),
        h(
          "tbody",
          null,
          r.attempts.map((a, i) =>
            h(
              "tr",
              null,
              h("td", null, String(i + 1)),
              h("td", null, a.provider),
              h("td", null, a.model ?? ""),
              h("td", null, a.status_code === null ? "–" : statusBadge(a.status_code)),
              h("td", { class: "num" }, a.latency_ms === null || a.latency_ms === undefined ? "–" : ms(a.latency_ms)),
              h("td", null, a.error_type ?? ""),
            ),
          ),
        ),
      ),
      listTable<GuardrailHook>(
        "Guardrail checks",
        ["hook", "when", "verdict", "denied", "transformed", "latency (ms)"],
        r.guardrail_hooks ?? [],
        (g) => [
          g.hook_id,
          g.hook_type.replace("_", " "),
          g.verdict ? "passed" : "failed",
          g.deny ? "yes" : "no",
          g.transformed ? "yes" : "no",
          ms(g.latency_ms),
        ],
      ),
      listTable<LimitCheck>("Limit checks", ["limit", "kind", "metric", "allowed"], r.limit_checks ?? [], (c) => [
        c.limit_id,
        c.kind,
        c.metric,
        c.allowed ? "yes" : "no",
      ]),
      r.bodies
        ? h(
            "details",
            { open: true },
            h("summary", null, `Prompt and answer${r.bodies.truncated ? " (cut at the recording limit)" : ""}`),
            h("h2", { class: "sub" }, "Sent upstream"),
            h("pre", { class: "code" }, prettyJson(r.bodies.request)),
            h("h2", { class: "sub" }, "Answer"),
            h("pre", { class: "code" }, prettyJson(r.bodies.response)),
          )
        : null,
      h(
        "details",
        null,
        h("summary", null, "Raw event (JSON)"),
        h("pre", { class: "code" }, JSON.stringify(r, null, 2)),
      ),
    ];
  });
  return h("div", null, h("h1", null, "Request ", h("code", null, eventId.slice(0, 8))), section);
}
