/**
 * Everything a page shows is decided by its URL: the path picks the page, the query string holds the
 * time range and filters, so any view can be shared by copying the address bar.
 */

export const BASE = "/console";

export type Page =
  | "overview"
  | "breakdowns"
  | "log"
  | "prompts"
  | "playground"
  | "limits"
  | "virtual-keys"
  | "configs"
  | "guardrails"
  | "request"
  | "trace"
  | "not_found";

/** Pages with no id in their path. */
const SIMPLE_PAGES = [
  "breakdowns",
  "log",
  "prompts",
  "playground",
  "limits",
  "virtual-keys",
  "configs",
  "guardrails",
] as const;

export interface Route {
  page: Page;
  /** Event id (request detail) or trace id (trace view). */
  id: string | null;
}

export function routeOf(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = rest.split("/").filter((p) => p !== "");
  const [first, second] = parts;
  if (first === undefined || first === "overview") return { page: "overview", id: null };
  const simple = SIMPLE_PAGES.find((p) => p === first);
  if (simple !== undefined && parts.length === 1) return { page: simple, id: null };
  if ((first === "requests" || first === "traces") && second !== undefined && parts.length === 2) {
    return { page: first === "requests" ? "request" : "trace", id: decodeURIComponent(second) };
  }
  return { page: "not_found", id: null };
}

export function currentParams(): URLSearchParams {
  return new URLSearchParams(location.search);
}

type Listener = () => void;
let onChange: Listener = () => {};

/** The app's re-render, called after every in-app navigation and on back/forward. */
export function onNavigate(listener: Listener): void {
  onChange = listener;
  window.addEventListener("popstate", () => onChange());
}

export function hrefOf(path: string, query: URLSearchParams | Record<string, string | undefined> = {}): string {
  const params = query instanceof URLSearchParams ? new URLSearchParams(query) : new URLSearchParams();
  if (!(query instanceof URLSearchParams)) {
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, v);
  }
  const search = params.toString();
  return `${BASE}${path}${search ? `?${search}` : ""}`;
}

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  onChange();
}

/** Sets (or, with an empty value, removes) query parameters of the current page and re-renders. */
export function updateParams(patch: Record<string, string | undefined>): void {
  const params = currentParams();
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === "") params.delete(k);
    else params.set(k, v);
  }
  const search = params.toString();
  navigate(`${location.pathname}${search ? `?${search}` : ""}`);
}

// ---- time range ---------------------------------------------------------------------------------

export const PRESETS = [
  { id: "1h", label: "Last hour", ms: 3_600_000 },
  { id: "6h", label: "Last 6 hours", ms: 6 * 3_600_000 },
  { id: "24h", label: "Last 24 hours", ms: 24 * 3_600_000 },
  { id: "7d", label: "Last 7 days", ms: 7 * 24 * 3_600_000 },
  { id: "30d", label: "Last 30 days", ms: 30 * 24 * 3_600_000 },
] as const;
export const DEFAULT_PRESET = "24h";

export type Interval = "minute" | "hour" | "day";

export interface TimeRange {
  from: Date;
  to: Date;
  /** The preset id, or "custom" when from/to are given explicitly. */
  preset: string;
  interval: Interval;
}

/** The range the URL asks for: `range=<preset>` (default 24h), or `from`/`to` as ISO instants. */
export function timeRangeOf(params: URLSearchParams, now: Date = new Date()): TimeRange {
  const from = params.get("from");
  const to = params.get("to");
  let range: { from: Date; to: Date; preset: string };
  if (from && to && !Number.isNaN(Date.parse(from)) && !Number.isNaN(Date.parse(to))) {
    range = { from: new Date(from), to: new Date(to), preset: "custom" };
  } else {
    const preset = PRESETS.find((p) => p.id === params.get("range")) ?? PRESETS.find((p) => p.id === DEFAULT_PRESET)!;
    range = { from: new Date(now.getTime() - preset.ms), to: now, preset: preset.id };
  }
  const asked = params.get("interval");
  const span = range.to.getTime() - range.from.getTime();
  const interval: Interval =
    asked === "minute" || asked === "hour" || asked === "day"
      ? asked
      : span > 2 * 24 * 3_600_000
        ? "day"
        : span <= 3 * 3_600_000
          ? "minute"
          : "hour";
  return { ...range, interval };
}

/** The range as analytics API query parameters. */
export function rangeQuery(range: TimeRange): Record<string, string> {
  return { from: range.from.toISOString(), to: range.to.toISOString() };
}

/** Every bucket start of [from, to) at the interval: a chart shows empty buckets as zeros, not gaps. */
export function bucketsOf(fromIso: string, toIso: string, interval: Interval): number[] {
  const step = { minute: 60_000, hour: 3_600_000, day: 24 * 3_600_000 }[interval];
  const out: number[] = [];
  for (let t = Date.parse(fromIso); t < Date.parse(toIso); t += step) out.push(t);
  return out;
}

/** The filters the URL carries and the API accepts (blank ones left out). */
export const FILTER_NAMES = ["tenant_id", "user", "model", "provider", "status", "prompt", "prompt_version"] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

export function filtersOf(params: URLSearchParams): Partial<Record<FilterName, string>> {
  const out: Partial<Record<FilterName, string>> = {};
  for (const name of FILTER_NAMES) {
    const value = params.get(name);
    if (value) out[name] = value;
  }
  return out;
}

/** `metadata.<key>=value` filters the URL carries, passed to the API as they are. */
export function metadataFiltersOf(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of params) if (name.startsWith("metadata.") && value) out[name] = value;
  return out;
}
