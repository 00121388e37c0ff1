/**
 * Reads the Infinity queries out of a Grafana dashboard JSON and turns their URL templates into
 * concrete URLs the way Grafana + the Infinity plugin would, so tests can run every panel's query
 * against a real analytics API.
 *
 * What Grafana/Infinity do, and what this mirrors:
 * - The Infinity frontend interpolates the query URL with `templateSrv.replace(url, vars, "glob")`:
 *   `$name`, `${name}`, `${name:format}` and `[[name]]`; the default format is `glob`.
 * - `${__from}` / `${__to}` are epoch milliseconds; `${__from:date:iso}` is an ISO-8601 timestamp,
 *   `${__from:date:seconds}` epoch seconds.
 * - The Infinity backend prefixes the datasource URL when the query URL does not already start
 *   with it, then re-encodes the query string (`url.Values.Encode`).
 */

export const INFINITY_PLUGIN_ID = "yesoreyeram-infinity-datasource";

export interface DatasourceRef {
  type: string | null;
  uid: string | null;
}

export interface InfinityColumn {
  selector: string;
  text: string;
  type: string;
}

/** One Infinity URL query found in a dashboard: a panel target or a query variable. */
export interface DashboardQuery {
  kind: "panel" | "variable";
  /** Panel id (as a string) or variable name. */
  id: string;
  /** Panel title or variable name. */
  title: string;
  refId: string;
  /** The target's datasource, falling back to the panel's (or variable's). */
  datasource: DatasourceRef;
  /** The URL template exactly as stored in the dashboard. */
  url: string;
  method: string;
  rootSelector: string;
  format: string;
  columns: InfinityColumn[];
}

export class DashboardFormatError extends Error {
  override name = "DashboardFormatError";
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function datasourceRef(value: unknown): DatasourceRef | null {
  if (isObject(value)) return { type: str(value.type), uid: str(value.uid) };
  // Very old dashboards name the datasource by a plain string.
  if (typeof value === "string") return { type: null, uid: value };
  return null;
}

function columns(value: unknown): InfinityColumn[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((c) => ({
    selector: str(c.selector) ?? "",
    text: str(c.text) ?? "",
    type: str(c.type) ?? "string",
  }));
}

/** Reads the Infinity URL query out of a target / infinityQuery object, or null when it has none. */
function urlQuery(target: Json): Omit<DashboardQuery, "kind" | "id" | "title" | "datasource"> | null {
  const url = str(target.url);
  if (url === null || (target.source !== undefined && target.source !== "url")) return null;
  const options = isObject(target.url_options) ? target.url_options : {};
  return {
    refId: str(target.refId) ?? "A",
    url,
    method: (str(options.method) ?? "GET").toUpperCase(),
    rootSelector: str(target.root_selector) ?? "",
    format: str(target.format) ?? "table",
    columns: columns(target.columns),
  };
}

function panelsOf(dashboard: Json): Json[] {
  const out: Json[] = [];
  const walk = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const panel of list) {
      if (!isObject(panel)) continue;
      out.push(panel);
      // Collapsed rows keep their children in a nested `panels` array.
      walk(panel.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

function variablesOf(dashboard: Json): Json[] {
  const templating = isObject(dashboard.templating) ? dashboard.templating : {};
  return Array.isArray(templating.list) ? templating.list.filter(isObject) : [];
}

/** Every Infinity URL query of the dashboard: each panel target, then each query variable. */
export function extractQueries(dashboard: unknown): DashboardQuery[] {
  if (!isObject(dashboard)) throw new DashboardFormatError("dashboard JSON must be an object");
  const out: DashboardQuery[] = [];
  for (const panel of panelsOf(dashboard)) {
    if (!Array.isArray(panel.targets)) continue;
    const panelDs = datasourceRef(panel.datasource);
    for (const target of panel.targets) {
      if (!isObject(target)) continue;
      const query = urlQuery(target);
      if (!query) continue;
      out.push({
        kind: "panel",
        id: String(panel.id ?? ""),
        title: str(panel.title) ?? "",
        datasource: datasourceRef(target.datasource) ?? panelDs ?? { type: null, uid: null },
        ...query,
      });
    }
  }
  for (const variable of variablesOf(dashboard)) {
    if (variable.type !== "query" || !isObject(variable.query)) continue;
    const inner = isObject(variable.query.infinityQuery) ? variable.query.infinityQuery : variable.query;
    const query = urlQuery(inner);
    if (!query) continue;
    const name = str(variable.name) ?? "";
    out.push({
      kind: "variable",
      id: name,
      title: name,
      datasource: datasourceRef(variable.datasource) ?? { type: null, uid: null },
      ...query,
    });
  }
  return out;
}

/** The dashboard's template variable names. */
export function variableNames(dashboard: unknown): string[] {
  if (!isObject(dashboard)) throw new DashboardFormatError("dashboard JSON must be an object");
  return variablesOf(dashboard)
    .map((v) => str(v.name))
    .filter((n): n is string => n !== null);
}

/** Names of the variables and macros a URL template references (`__from`, `tenant`, ...). */
export function referencedVariables(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(VARIABLE_PATTERN)) {
    const name = match[1] ?? match[2] ?? match[4];
    if (name) names.add(name);
  }
  return [...names];
}

export type VariableValue = string | readonly string[];

export interface ResolveOptions {
  from: Date | string;
  to: Date | string;
  /** Template variable values. An array stands for a multi-value selection, "All" included. */
  variables?: Readonly<Record<string, VariableValue>>;
  /** The datasource URL, prefixed like the Infinity backend does; omit to get the bare interpolation. */
  baseUrl?: string;
}

// Same shapes as Grafana's variableRegex: $name | [[name:format]] | ${name.fieldPath:format}
const VARIABLE_PATTERN = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

function toDate(value: Date | string, label: string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new DashboardFormatError(`invalid ${label} time: ${String(value)}`);
  return date;
}

function formatTime(date: Date, format: string | undefined): string {
  if (format === undefined) return String(date.getTime());
  if (format === "date" || format === "date:iso") return date.toISOString();
  if (format === "date:seconds") return String(Math.floor(date.getTime() / 1000));
  throw new DashboardFormatError(`unsupported time macro format "${format}"`);
}

function formatValue(name: string, value: VariableValue, format: string): string {
  const values = typeof value === "string" ? [value] : [...value];
  const single = values.length === 1 ? values[0]! : null;
  switch (format) {
    case "glob":
      return single ?? `{${values.join(",")}}`;
    case "csv":
    case "raw":
      return values.join(",");
    case "pipe":
      return values.join("|");
    case "text":
      return values.join(" + ");
    case "percentencode":
      return single !== null ? encodeURIComponent(single) : encodeURIComponent(`{${values.join(",")}}`);
    case "queryparam":
      return values.map((v) => `var-${encodeURIComponent(name)}=${encodeURIComponent(v)}`).join("&");
    default:
      throw new DashboardFormatError(`unsupported variable format "${format}" for $${name}`);
  }
}

/**
 * Interpolates a dashboard URL template into a concrete URL. Throws on a variable that has no
 * value, so a typo in a dashboard fails loudly instead of querying `$tenat` literally.
 */
export function resolveUrl(template: string, options: ResolveOptions): string {
  const from = toDate(options.from, "from");
  const to = toDate(options.to, "to");
  const variables = options.variables ?? {};
  const interpolated = template.replace(
    VARIABLE_PATTERN,
    (
      _match,
      plain: string | undefined,
      bracketName: string | undefined,
      bracketFormat: string | undefined,
      bracedName: string | undefined,
      fieldPath: string | undefined,
      bracedFormat: string | undefined,
    ) => {
      const name = (plain ?? bracketName ?? bracedName)!;
      const format = bracketFormat ?? bracedFormat;
      if (fieldPath !== undefined)
        throw new DashboardFormatError(`field paths are not supported: \${${name}.${fieldPath}}`);
      if (name === "__from") return formatTime(from, format);
      if (name === "__to") return formatTime(to, format);
      const value = variables[name];
      if (value === undefined) throw new DashboardFormatError(`no value given for dashboard variable $${name}`);
      return formatValue(name, value, format ?? "glob");
    },
  );
  if (options.baseUrl === undefined) return interpolated;
  const base = options.baseUrl.replace(/\/+$/, "");
  const absolute = interpolated.startsWith(base) ? interpolated : `${base}${interpolated}`;
  const url = new URL(absolute);
  // Re-encode the query string like the Infinity backend does (Go url.Values.Encode sorts keys).
  const params = [...url.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  url.search = new URLSearchParams(params).toString();
  return url.toString();
}
