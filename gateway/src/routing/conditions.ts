/**
 * The conditional-routing query language (Portkey's `strategy.conditions[].query`), a small
 * Mongo-style dialect over the request: `metadata.*` (x-portkey-metadata), `params.*` (the
 * request body, dotted paths, numeric segments index arrays) and `url.pathname`.
 *
 * Queries are validated when the config is parsed (validateQuery) so a bad operator or an
 * invalid regex is a 400 naming its path, never a surprise at request time; evaluateQuery
 * can then assume a valid query. `$regex` is a client-supplied pattern: it runs on RE2 (linear
 * time, bounded size; ../safe-regex), never on RegExp, whose backtracking a pattern like
 * `(a+)+$` turns into seconds of blocked event loop.
 *
 * Differences from the open-source gateway, on purpose: every key of a query object must hold
 * (the OSS returns early on `$or`/`$and` and ignores sibling keys), paths may be any depth, and
 * a string from metadata equals the number or boolean it spells (`"5"` $eq 5), because
 * metadata values always arrive as strings.
 */

import { PatternCache, PatternError } from "../safe-regex/safe-regex.ts";

export type Query = Readonly<Record<string, unknown>>;

export interface ConditionContext {
  metadata: Readonly<Record<string, string>>;
  params: Readonly<Record<string, unknown>>;
  url: { pathname: string };
}

export interface QueryIssue {
  /** Segments below the query itself, e.g. ["$or", 1, "metadata.tier", "$regex"]. */
  path: (string | number)[];
  message: string;
}

export const COMPARISON_OPERATORS = ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex", "$length"];
export const LOGICAL_OPERATORS = ["$and", "$or"];
const FIELD_ROOTS = ["metadata.", "params."];

/** A field path the language can read: `metadata.<key>`, `params.<path>` or `url.pathname`. */
export function isFieldPath(path: string): boolean {
  if (path === "url.pathname") return true;
  return FIELD_ROOTS.some((root) => path.startsWith(root) && path.length > root.length && !path.endsWith("."));
}

export function validateQuery(query: unknown): QueryIssue[] {
  const issues: QueryIssue[] = [];
  validateQueryAt(query, [], issues);
  return issues;
}

function validateQueryAt(query: unknown, path: (string | number)[], issues: QueryIssue[]): void {
  if (!isPlainObject(query)) {
    issues.push({ path, message: "a query must be an object" });
    return;
  }
  for (const [key, value] of Object.entries(query)) {
    const at = [...path, key];
    if (LOGICAL_OPERATORS.includes(key)) {
      if (!Array.isArray(value) || value.length === 0) {
        issues.push({ path: at, message: `${key} takes a non-empty array of queries` });
        continue;
      }
      value.forEach((sub, i) => {
        validateQueryAt(sub, [...at, i], issues);
      });
    } else if (key.startsWith("$")) {
      issues.push({ path: at, message: `unknown operator ${key} at query level; use $and or $or` });
    } else if (!isFieldPath(key)) {
      issues.push({ path: at, message: `unknown field "${key}"; use metadata.<key>, params.<path> or url.pathname` });
    } else if (isPlainObject(value)) {
      validateOperators(value, at, issues);
    }
    // Any other value (string, number, boolean, null, array) is an implicit $eq.
  }
}

function validateOperators(ops: Record<string, unknown>, path: (string | number)[], issues: QueryIssue[]): void {
  if (Object.keys(ops).length === 0) issues.push({ path, message: "an operator object needs at least one operator" });
  for (const [op, operand] of Object.entries(ops)) {
    const at = [...path, op];
    if (!COMPARISON_OPERATORS.includes(op)) {
      issues.push({ path: at, message: `unknown operator "${op}"; expected one of ${COMPARISON_OPERATORS.join(" ")}` });
    } else if ((op === "$in" || op === "$nin") && !Array.isArray(operand)) {
      issues.push({ path: at, message: `${op} takes an array` });
    } else if (op === "$regex") {
      validateRegex(operand, at, issues);
    } else if (
      ["$gt", "$gte", "$lt", "$lte"].includes(op) &&
      typeof operand !== "number" &&
      typeof operand !== "string"
    ) {
      issues.push({ path: at, message: `${op} takes a number or a string` });
    } else if (op === "$length") {
      if (isPlainObject(operand)) validateOperators(operand, at, issues);
      else if (!Number.isInteger(operand)) issues.push({ path: at, message: "$length takes an integer or operators" });
    }
  }
}

// Compiled patterns, reused across requests (a saved config is evaluated on every call) and
// between validation and evaluation. LRU-bounded: inline configs can bring arbitrary patterns.
const regexCache = new PatternCache(1000);

// Validation compiles through the cache, so the program the config was checked with is the one
// requests run (on RE2: linear time, see safe-regex.ts).
function validateRegex(pattern: unknown, path: (string | number)[], issues: QueryIssue[]): void {
  if (typeof pattern !== "string") {
    issues.push({ path, message: "$regex takes a string" });
    return;
  }
  try {
    regexCache.get(pattern);
  } catch (error) {
    if (!(error instanceof PatternError)) throw error;
    issues.push({ path, message: error.message });
  }
}

/** True when every key of the (already validated) query holds for ctx. An empty query matches. */
export function evaluateQuery(query: Query, ctx: ConditionContext): boolean {
  for (const [key, value] of Object.entries(query)) {
    if (key === "$and") {
      if (!(value as Query[]).every((sub) => evaluateQuery(sub, ctx))) return false;
    } else if (key === "$or") {
      if (!(value as Query[]).some((sub) => evaluateQuery(sub, ctx))) return false;
    } else {
      const actual = readField(ctx, key);
      const holds = isPlainObject(value) ? evaluateOperators(value, actual) : looselyEqual(actual, value);
      if (!holds) return false;
    }
  }
  return true;
}

function evaluateOperators(ops: Record<string, unknown>, actual: unknown): boolean {
  for (const [op, operand] of Object.entries(ops)) {
    if (!evaluateOperator(op, operand, actual)) return false;
  }
  return true;
}

function evaluateOperator(op: string, operand: unknown, actual: unknown): boolean {
  switch (op) {
    case "$eq":
      return looselyEqual(actual, operand);
    case "$ne":
      return !looselyEqual(actual, operand);
    case "$gt":
      return compare(actual, operand, (c) => c > 0);
    case "$gte":
      return compare(actual, operand, (c) => c >= 0);
    case "$lt":
      return compare(actual, operand, (c) => c < 0);
    case "$lte":
      return compare(actual, operand, (c) => c <= 0);
    case "$in":
      return (operand as unknown[]).some((candidate) => looselyEqual(actual, candidate));
    case "$nin":
      return !(operand as unknown[]).some((candidate) => looselyEqual(actual, candidate));
    case "$regex":
      return typeof actual === "string" || typeof actual === "number"
        ? regexCache.get(operand as string).test(String(actual))
        : false;
    case "$length": {
      if (typeof actual !== "string" && !Array.isArray(actual)) return false;
      const length = actual.length;
      return isPlainObject(operand) ? evaluateOperators(operand, length) : length === operand;
    }
    default:
      return false; // unreachable after validation
  }
}

/** Reads `metadata.x`, `params.a.b.0` or `url.pathname`; undefined when any step is missing. */
export function readField(ctx: ConditionContext, path: string): unknown {
  if (path === "url.pathname") return ctx.url.pathname;
  const [root, ...rest] = path.split(".");
  if (root === "metadata") {
    const key = rest.join("."); // metadata keys are flat and may themselves contain dots
    return Object.hasOwn(ctx.metadata, key) ? ctx.metadata[key] : undefined;
  }
  if (root !== "params") return undefined;
  let current: unknown = ctx.params;
  for (const segment of rest) {
    // Own properties only: a query must never reach __proto__ or constructor.
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** Strict equality, except a string equals the number/boolean it spells; objects by JSON. */
function looselyEqual(actual: unknown, expected: unknown): boolean {
  if (actual === expected) return true;
  if (actual === undefined || expected === undefined) return false;
  if (typeof actual === "string" && (typeof expected === "number" || typeof expected === "boolean")) {
    return actual === String(expected);
  }
  if (typeof expected === "string" && (typeof actual === "number" || typeof actual === "boolean")) {
    return expected === String(actual);
  }
  if (typeof actual === "object" && typeof expected === "object" && actual !== null && expected !== null) {
    return JSON.stringify(actual) === JSON.stringify(expected);
  }
  return false;
}

/** Numbers (or numeric strings) compare numerically; two non-numeric strings lexically (ISO dates). */
function compare(actual: unknown, operand: unknown, test: (c: number) => boolean): boolean {
  const a = asNumber(actual);
  const b = asNumber(operand);
  if (a !== null && b !== null) return test(a - b);
  if (typeof actual === "string" && typeof operand === "string") {
    return test(actual < operand ? -1 : actual > operand ? 1 : 0);
  }
  return false;
}

function asNumber(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "string" || value.trim() === "") return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
