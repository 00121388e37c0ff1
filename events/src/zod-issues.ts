/**
 * The one way a validation failure (a zod issue, or any `{path, message}`) becomes text, for every
 * package: request bodies, admin bodies, configs, env, keys/pricing/declarative files, events.
 * Lives in events, the package everything depends on. Structural: it takes zod's issues without
 * importing zod, so any schema's errors (zod 4's `error.issues`) fit.
 */

/** A failure at a path; a string path is taken as already formatted. */
export interface IssueLike {
  readonly path: readonly PropertyKey[] | string;
  readonly message: string;
}

/**
 * `"dotted"`: `messages.0.content`, the notation of OpenAI's error `param` (request bodies, admin
 * bodies, env, events). `"bracketed"`: `targets[0].override_params["x-key"]`, as people write a
 * config or a YAML/JSON file (non-identifier keys quoted).
 */
export type IssuePathStyle = "dotted" | "bracketed";

export interface FormatIssuesOptions {
  /** Path notation; default "dotted". */
  style?: IssuePathStyle;
  /** What an issue at the root is called: "body", "config", … Default "(root)". */
  root?: string;
  /** Between issues; default "; ". */
  separator?: string;
}

/** The path as text in the given notation; "" at the root. */
export function issuePath(path: readonly PropertyKey[] | string, style: IssuePathStyle = "dotted"): string {
  if (typeof path === "string") return path;
  if (style === "dotted") return path.map(String).join(".");
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && /^[A-Za-z_$][\w$]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** `path: message`, the root named by `options.root`. */
export function formatIssue(issue: IssueLike, options: FormatIssuesOptions = {}): string {
  return `${issuePath(issue.path, options.style) || (options.root ?? "(root)")}: ${issue.message}`;
}

/** Every issue on one line (or as `separator` says): `model: Required; messages.0.role: Invalid option`. */
export function formatIssues(issues: readonly IssueLike[], options: FormatIssuesOptions = {}): string {
  return issues.map((issue) => formatIssue(issue, options)).join(options.separator ?? "; ");
}

/** The `param` of a 400: the first issue's dotted path, null when there is none or it is the root. */
export function issueParam(issues: readonly IssueLike[]): string | null {
  const first = issues[0];
  return first ? issuePath(first.path, "dotted") || null : null;
}
