import type { z } from "zod";
import { type CheckDefinition, type CheckFn, type CheckServices, type HookStage, ParameterProblem } from "../types.ts";
import { HTTP_CHECKS } from "./http-checks.ts";
import { JSON_CHECKS } from "./json-checks.ts";
import { PII_CHECKS } from "./pii-check.ts";
import { REQUEST_CHECKS } from "./request-checks.ts";
import { TEXT_CHECKS } from "./text-checks.ts";

/** Every built-in check by its full id (`default.wordCount`). */
const BUILT_IN = new Map<string, CheckDefinition<never>>(
  [...TEXT_CHECKS, ...JSON_CHECKS, ...REQUEST_CHECKS, ...HTTP_CHECKS, ...PII_CHECKS].map((c) => [c.id, c]),
);

/** Other names Portkey uses for the same checks (the manifest's lowercase id, the hosted PII check). */
const ALIASES: Readonly<Record<string, string>> = {
  "default.modelwhitelist": "default.modelWhitelist",
  "portkey.pii": "default.pii",
};

/** A check id as written (`wordCount`, `default.wordCount`, `portkey.pii`) → the built-in's id, or null. */
export function canonicalCheckId(id: string): string | null {
  const full = id.includes(".") ? id : `default.${id}`;
  const canonical = ALIASES[full] ?? full;
  return BUILT_IN.has(canonical) ? canonical : null;
}

export function checkDefinition(id: string): CheckDefinition<never> | null {
  const canonical = canonicalCheckId(id);
  return canonical === null ? null : (BUILT_IN.get(canonical) ?? null);
}

export const BUILT_IN_CHECK_IDS: readonly string[] = [...BUILT_IN.keys()];

export interface ParameterIssue {
  /** Under `parameters` (e.g. ["rule"]); empty for the check id itself. */
  path: (string | number)[];
  message: string;
}

/** Services for validation only: a config is checked without calling anything. */
const NO_SERVICES: CheckServices = {
  checkUrl: () => Promise.reject(new Error("not available while validating")),
  fetch: () => Promise.reject(new Error("not available while validating")),
};

/**
 * Why a check as configured cannot run: an unknown id, a hook stage it does not run in, parameters
 * its schema refuses, or a problem only compiling finds (a regex RE2 refuses, a schema ajv cannot
 * compile). Empty when it can.
 */
export function checkIssues(id: string, parameters: unknown, stage: HookStage | null): ParameterIssue[] {
  const definition = checkDefinition(id);
  if (definition === null) {
    return [{ path: [], message: `unknown check "${id}"; built-in checks are ${BUILT_IN_CHECK_IDS.join(", ")}` }];
  }
  if (stage !== null && !definition.stages.includes(stage)) {
    const where = stage === "before" ? "input (before_request)" : "output (after_request)";
    return [{ path: [], message: `check ${definition.id} does not run on ${where} hooks` }];
  }
  const parsed = (definition.params as z.ZodType).safeParse(parameters ?? {});
  if (!parsed.success)
    return parsed.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message }));
  try {
    definition.prepare(parsed.data as never, NO_SERVICES);
  } catch (error) {
    if (error instanceof ParameterProblem) return [{ path: [error.param], message: error.message }];
    throw error;
  }
  return [];
}

/** The check compiled to a function (throws for a check checkIssues would refuse). */
export function prepareCheck(id: string, parameters: unknown, services: CheckServices): CheckFn {
  const definition = checkDefinition(id);
  if (definition === null) throw new Error(`unknown check ${id}`);
  const params = (definition.params as z.ZodType).parse(parameters ?? {});
  return definition.prepare(params as never, services);
}
