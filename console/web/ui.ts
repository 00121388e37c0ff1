import { ApiProblem, storedKey, storeKey } from "./api.ts";
import { type Column, downloadCsv, toCsv } from "./csv.ts";
import { type Child, h, mount } from "./dom.ts";

/** Re-render of the whole page (after a key change or a retry). Set by main.ts. */
export const app = { rerender: () => {} };

/** The form that asks for an API key (shown when the API answers 401, and from the header). */
export function keyForm(id = "api-key"): HTMLFormElement {
  const input = h("input", {
    id,
    name: "api-key",
    type: "password",
    autocomplete: "off",
    placeholder: "sk-…",
    required: true,
  });
  const form = h(
    "form",
    {
      class: "key-form",
      onsubmit: (event: Event) => {
        event.preventDefault();
        storeKey(input.value.trim());
        app.rerender();
      },
    },
    h("label", { for: id }, "API key"),
    input,
    h("button", { type: "submit" }, "Use this key"),
    storedKey()
      ? h(
          "button",
          {
            type: "button",
            onclick: () => {
              storeKey(null);
              app.rerender();
            },
          },
          "Forget key",
        )
      : null,
  );
  return form;
}

/** What went wrong, in words, with the way out (enter a key, retry). */
export function problemView(error: unknown, service = "analytics API"): HTMLElement {
  const problem =
    error instanceof ApiProblem ? error : new ApiProblem("server", `Unexpected error: ${(error as Error).message}`);
  const title: Record<ApiProblem["kind"], string> = {
    auth: "An API key is needed",
    forbidden: "Not allowed",
    bad_request: `The ${service} rejected this query`,
    not_found: "Not found",
    unreachable: `The ${service} is unreachable`,
    timeout: "The query took too long",
    server: `The ${service} failed`,
  };
  return h(
    "div",
    { class: `problem problem-${problem.kind}`, role: "alert" },
    h("h2", null, title[problem.kind]),
    h("p", null, problem.message, problem.param ? ` (parameter: ${problem.param})` : null),
    problem.kind === "auth" ? keyForm("api-key-prompt") : null,
    problem.kind !== "auth" && problem.kind !== "not_found"
      ? h("button", { type: "button", onclick: () => app.rerender() }, "Retry")
      : null,
  );
}

const SLOW_AFTER_MS = 2_000;

/**
 * Fills a section with a loading state, then with what `load` builds or with the problem. A query
 * still running after 2 s says so, with the elapsed time, instead of an endless spinner.
 */
export async function loadInto(
  section: HTMLElement,
  load: () => Promise<Child>,
  service = "analytics API",
): Promise<void> {
  const started = performance.now();
  const status = h("p", { class: "loading", role: "status" }, "Loading…");
  section.setAttribute("aria-busy", "true");
  mount(section, status);
  const timer = setInterval(() => {
    const seconds = Math.round((performance.now() - started) / 1000);
    if (seconds * 1000 >= SLOW_AFTER_MS)
      status.textContent = `Still loading… ${seconds} s (long time ranges take longer)`;
  }, 1000);
  try {
    const content = await load();
    mount(section, content);
  } catch (error) {
    mount(section, problemView(error, service));
  } finally {
    clearInterval(timer);
    section.removeAttribute("aria-busy");
  }
}

/** The empty state: what to do to see something here. */
export function emptyState(what: string): HTMLElement {
  const gateway = `${location.protocol}//${location.hostname}:8787`;
  return h(
    "div",
    { class: "empty" },
    h("p", null, `No ${what} in this time range. Send a request through the gateway, then reload:`),
    h(
      "pre",
      { class: "code" },
      h(
        "code",
        null,
        `curl -s ${gateway}/v1/chat/completions \\\n  -H 'content-type: application/json' -H 'x-portkey-provider: mock' \\\n  -H 'x-portkey-metadata: {"_user": "alice"}' \\\n  -d '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}]}'`,
      ),
    ),
  );
}

export interface TableColumn<Row> extends Column<Row> {
  /** Rendered cell; defaults to the CSV value. */
  render?: (row: Row) => Child;
  numeric?: boolean;
}

/** A table with a caption and a "Download CSV" button that exports exactly its rows. */
export function dataTable<Row>(
  caption: string,
  filename: string,
  columns: TableColumn<Row>[],
  rows: Row[],
): HTMLElement {
  const table = h(
    "table",
    null,
    h("caption", null, caption),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        columns.map((c) => h("th", { scope: "col", class: c.numeric ? "num" : null }, c.label)),
      ),
    ),
    h(
      "tbody",
      null,
      rows.map((row) =>
        h(
          "tr",
          null,
          columns.map((c) =>
            h("td", { class: c.numeric ? "num" : null }, c.render ? c.render(row) : String(c.value(row) ?? "")),
          ),
        ),
      ),
    ),
  );
  const download = h(
    "button",
    { type: "button", class: "csv", onclick: () => downloadCsv(filename, toCsv(columns, rows)) },
    "Download CSV",
  );
  return h(
    "div",
    { class: "table-wrap" },
    h("div", { class: "table-tools" }, download),
    h("div", { class: "scroll" }, table),
  );
}
