import { storedKey } from "./api.ts";
import { h } from "./dom.ts";
import { FILTER_NAMES, hrefOf, type Page, PRESETS, type TimeRange, updateParams } from "./state.ts";
import { app, keyForm } from "./ui.ts";

const THEME_STORAGE = "switchyard-console-theme";

export function applyTheme(): void {
  const saved = localStorage.getItem(THEME_STORAGE);
  const dark = saved ? saved === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}

function themeToggle(): HTMLButtonElement {
  const dark = document.documentElement.dataset.theme === "dark";
  return h(
    "button",
    {
      type: "button",
      id: "theme-toggle",
      "aria-pressed": dark ? "true" : "false",
      onclick: () => {
        localStorage.setItem(THEME_STORAGE, dark ? "light" : "dark");
        applyTheme();
        app.rerender(); // charts read their colours when drawn
      },
    },
    dark ? "Light theme" : "Dark theme",
  );
}

/** ISO instant → the value a datetime-local input shows (UTC, minutes). */
const localValue = (d: Date) => d.toISOString().slice(0, 16);

function timePicker(range: TimeRange): HTMLElement {
  const from = h("input", { type: "datetime-local", id: "range-from", value: localValue(range.from) });
  const to = h("input", { type: "datetime-local", id: "range-to", value: localValue(range.to) });
  const custom = h(
    "span",
    { class: "custom-range", hidden: range.preset !== "custom" },
    h("label", { for: "range-from" }, "From (UTC)"),
    from,
    h("label", { for: "range-to" }, "To (UTC)"),
    to,
    h(
      "button",
      {
        type: "button",
        onclick: () =>
          updateParams({ range: undefined, from: `${from.value}:00Z`, to: `${to.value}:00Z`, cursor: undefined }),
      },
      "Apply",
    ),
  );
  const select = h(
    "select",
    {
      id: "time-range",
      onchange: (e: Event) => {
        const value = (e.target as HTMLSelectElement).value;
        if (value === "custom") custom.hidden = false;
        else updateParams({ range: value, from: undefined, to: undefined, cursor: undefined });
      },
    },
    PRESETS.map((p) => h("option", { value: p.id, selected: p.id === range.preset }, p.label)),
    h("option", { value: "custom", selected: range.preset === "custom" }, "Custom range…"),
  );
  return h("span", { class: "time-picker" }, h("label", { for: "time-range" }, "Time range"), select, custom);
}

function tenantFilter(tenant: string | undefined): HTMLElement {
  const input = h("input", {
    id: "tenant-filter",
    value: tenant ?? "",
    placeholder: "all tenants",
    size: 12,
    onchange: (e: Event) => updateParams({ tenant_id: (e.target as HTMLInputElement).value.trim(), cursor: undefined }),
  });
  return h("span", null, h("label", { for: "tenant-filter" }, "Tenant"), input);
}

const NAV: { page: Page; path: string; label: string }[] = [
  { page: "overview", path: "/", label: "Overview" },
  { page: "breakdowns", path: "/breakdowns", label: "Breakdowns" },
  { page: "log", path: "/log", label: "Request log" },
  { page: "prompts", path: "/prompts", label: "Prompts" },
  { page: "playground", path: "/playground", label: "Playground" },
  { page: "limits", path: "/limits", label: "Limits" },
  { page: "virtual-keys", path: "/virtual-keys", label: "Virtual keys" },
  { page: "configs", path: "/configs", label: "Configs" },
  { page: "guardrails", path: "/guardrails", label: "Guardrails" },
];

const MANAGING = new Set<Page>(["playground", "limits", "virtual-keys", "configs", "guardrails"]);

/** Header (navigation, time range, tenant, theme, key) around the page's content. */
export function layout(page: Page, range: TimeRange, params: URLSearchParams, content: HTMLElement): HTMLElement[] {
  // Navigation keeps the time range and the filters, not a page's own choices (grouping, cursor).
  // From a managing page only the range and the tenant go along: its own choices (the playground's
  // `prompt`) share a filter's name but are no filter.
  const carried: readonly string[] = MANAGING.has(page)
    ? ["range", "from", "to", "tenant_id"]
    : ["range", "from", "to", ...FILTER_NAMES];
  const shared: Record<string, string> = {};
  for (const [name, value] of params) {
    if (carried.includes(name) || (!MANAGING.has(page) && name.startsWith("metadata."))) shared[name] = value;
  }
  const key = storedKey();
  return [
    h(
      "header",
      { class: "top" },
      h("a", { class: "brand", href: hrefOf("/", shared) }, "Switchyard"),
      h(
        "nav",
        { "aria-label": "Console" },
        NAV.map((n) =>
          h("a", { href: hrefOf(n.path, shared), "aria-current": n.page === page ? "page" : null }, n.label),
        ),
      ),
      h(
        "div",
        { class: "controls" },
        timePicker(range),
        tenantFilter(shared.tenant_id),
        themeToggle(),
        h("details", { class: "key-menu" }, h("summary", null, key ? "API key: set" : "API key"), keyForm()),
      ),
    ),
    // The filters narrow the watching pages; the managing ones (whose own `prompt` choice is also a
    // filter's name) show none, so a chip never claims to filter what it does not.
    h("main", { id: "main", tabindex: "-1" }, withChips(content, MANAGING.has(page) ? null : filterChips(shared))),
  ];
}

/** The filters in force (besides tenant and time), each removable. */
function filterChips(shared: Record<string, string>): HTMLElement | null {
  const active = Object.entries(shared).filter(([k]) => !["range", "from", "to", "tenant_id"].includes(k));
  if (active.length === 0) return null;
  return h(
    "ul",
    { class: "chips", "aria-label": "Active filters" },
    active.map(([name, value]) =>
      h(
        "li",
        null,
        `${name} = ${value} `,
        h(
          "button",
          {
            type: "button",
            "aria-label": `Remove filter ${name}`,
            onclick: () => updateParams({ [name]: undefined, cursor: undefined }),
          },
          "×",
        ),
      ),
    ),
  );
}

/** The active filters right under the page's title (or first, when the page has none). */
function withChips(content: HTMLElement, chips: HTMLElement | null): HTMLElement {
  if (chips === null) return content;
  const title = content.querySelector("h1");
  if (title) title.after(chips);
  else content.prepend(chips);
  return content;
}
