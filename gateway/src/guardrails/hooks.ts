import { randomBytes } from "node:crypto";
import type { z } from "zod";
import type { CheckConfig, Feedback, GuardrailShorthand, HookObject } from "../routing/hooks-schema.ts";
import type { HookSettings } from "../routing/index.ts";
import { checkDefinition, prepareCheck } from "./checks/registry.ts";
import type { MessageScope } from "./text.ts";
import type { CheckFn, CheckServices, HookStage } from "./types.ts";

/**
 * From the config's four guardrail keys to hooks ready to run: the shorthand expanded (every key
 * that is not a setting is a check id; no id → `input_guardrail_<3 base36>`, as Portkey), raw hooks
 * first and shorthand after them (Portkey's order), check ids completed (`wordCount` →
 * `default.wordCount`), every check compiled once. Saved guardrails (a string, or a long-form hook
 * with only an id) stay references until the request's tenant resolves them.
 */

type FeedbackSpec = z.infer<typeof Feedback>;

export interface PreparedCheck {
  readonly id: string;
  readonly enabled: boolean;
  readonly run: CheckFn;
  /** Inverts the verdict (Portkey's `not`); never for mutating or externally decided checks. */
  readonly not: boolean;
  /** An erroring check fails the hook instead of passing (Portkey: errors fail open). */
  readonly failOnError: boolean;
  readonly scope: MessageScope;
  /** The check may rewrite the text with these parameters (regexReplace; pii with `redact`). */
  readonly transforms: boolean;
}

export interface PreparedHook {
  readonly id: string;
  readonly type: "guardrail" | "mutator";
  readonly stage: HookStage;
  readonly deny: boolean;
  readonly async: boolean;
  readonly sequential: boolean;
  readonly onSuccess: FeedbackSpec | null;
  readonly onFail: FeedbackSpec | null;
  readonly checks: readonly PreparedCheck[];
  /** The enabled checks, and whether they run one after another (`sequential`, or one rewrites): fixed per config. */
  readonly enabled: readonly PreparedCheck[];
  readonly inOrder: boolean;
  /** A check may rewrite what it reads: a held-back stream is needed to apply it (guardrails-stream.ts). */
  readonly rewrites: boolean;
}

/** A saved guardrail as the control plane holds it (platform's SavedGuardrailState has this shape). */
export interface SavedGuardrail {
  readonly id: string;
  readonly type?: "guardrail" | "mutator" | undefined;
  readonly checks: readonly CheckConfig[];
  readonly actions: {
    readonly deny?: boolean | undefined;
    readonly async?: boolean | undefined;
    readonly sequential?: boolean | undefined;
    readonly on_success?: { feedback?: FeedbackSpec | undefined } | undefined;
    readonly on_fail?: { feedback?: FeedbackSpec | undefined } | undefined;
  };
}

/** A saved guardrail named by a config, with where it was named (the 400's param when unknown). */
export interface SavedRef {
  readonly savedId: string;
  readonly param: string;
}

export type HookEntry = PreparedHook | SavedRef;

export interface LeafHooks {
  readonly before: readonly HookEntry[];
  readonly after: readonly HookEntry[];
}

const SETTINGS = new Set([
  "id",
  "type",
  "name",
  "deny",
  "async",
  "sequential",
  "on_fail",
  "on_success",
  "guardrail_version_id",
]);

function prepareChecks(checks: readonly CheckConfig[], services: CheckServices): PreparedCheck[] {
  return checks.map((c) => {
    const definition = checkDefinition(c.id);
    if (definition === null) throw new Error(`unknown check ${c.id}`); // the config schema refused it already
    const p = c.parameters as Record<string, unknown>;
    const transforms = definition.transforms === true && (definition.rewrites?.(p) ?? true);
    const fixed = transforms || definition.fixedVerdict === true;
    return {
      id: definition.id,
      enabled: c.is_enabled !== false,
      run: prepareCheck(c.id, c.parameters, services),
      not: !fixed && p.not === true,
      failOnError: p.failOnError === true,
      scope: p.messages === "all" ? "all" : "last",
      transforms,
    };
  });
}

/** The per-config facts runHook would otherwise work out on every request. */
function withPlan(hook: Omit<PreparedHook, "enabled" | "inOrder" | "rewrites">): PreparedHook {
  const enabled = hook.checks.filter((c) => c.enabled);
  const rewrites = enabled.some((c) => c.transforms);
  return { ...hook, enabled, inOrder: hook.sequential || rewrites, rewrites: rewrites || hook.type === "mutator" };
}

function fromObject(hook: HookObject, stage: HookStage, services: CheckServices): PreparedHook {
  return withPlan({
    id: hook.id,
    type: hook.type,
    stage,
    deny: hook.deny === true,
    async: hook.async === true,
    sequential: hook.sequential === true,
    onSuccess: hook.on_success?.feedback ?? null,
    onFail: hook.on_fail?.feedback ?? null,
    checks: prepareChecks(hook.checks ?? [], services),
  });
}

function fromShorthand(entry: Record<string, unknown>, stage: HookStage, services: CheckServices): PreparedHook {
  const checks: CheckConfig[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (!SETTINGS.has(key)) checks.push({ id: key, parameters: value as Record<string, unknown> });
  }
  const prefix = stage === "before" ? "input_guardrail" : "output_guardrail";
  return fromObject(
    {
      id:
        typeof entry.id === "string"
          ? entry.id
          : `${prefix}_${randomBytes(2).readUInt16BE(0).toString(36).slice(0, 3)}`,
      type: entry.type === "mutator" ? "mutator" : "guardrail",
      checks,
      deny: entry.deny === true,
      async: entry.async === true,
      sequential: entry.sequential === true,
      on_fail: entry.on_fail as HookObject["on_fail"],
      on_success: entry.on_success as HookObject["on_success"],
    },
    stage,
    services,
  );
}

function entriesOf(
  raw: readonly HookObject[] | null,
  shorthand: readonly GuardrailShorthand[] | null,
  stage: HookStage,
  services: CheckServices,
): HookEntry[] {
  const [rawKey, shortKey] =
    stage === "before" ? ["before_request_hooks", "input_guardrails"] : ["after_request_hooks", "output_guardrails"];
  const out: HookEntry[] = [];
  raw?.forEach((hook, i) => {
    out.push(
      hook.checks === undefined ? { savedId: hook.id, param: `${rawKey}[${i}].id` } : fromObject(hook, stage, services),
    );
  });
  shorthand?.forEach((entry, i) => {
    out.push(
      typeof entry === "string"
        ? { savedId: entry, param: `${shortKey}[${i}]` }
        : fromShorthand(entry, stage, services),
    );
  });
  return out;
}

/** The leaf's hooks, compiled; null when it has none (the common case costs one check). */
export function prepareLeafHooks(settings: HookSettings, services: CheckServices): LeafHooks | null {
  const before = entriesOf(settings.beforeRequestHooks, settings.inputGuardrails, "before", services);
  const after = entriesOf(settings.afterRequestHooks, settings.outputGuardrails, "after", services);
  return before.length === 0 && after.length === 0 ? null : { before, after };
}

/** A saved guardrail as a hook on one side (its actions are the hook settings). */
export function prepareSaved(saved: SavedGuardrail, stage: HookStage, services: CheckServices): PreparedHook {
  const a = saved.actions;
  return withPlan({
    id: saved.id,
    type: saved.type ?? "guardrail",
    stage,
    deny: a.deny === true,
    async: a.async === true,
    sequential: a.sequential === true,
    onSuccess: a.on_success?.feedback ?? null,
    onFail: a.on_fail?.feedback ?? null,
    checks: prepareChecks(saved.checks, services),
  });
}

export const isSavedRef = (entry: HookEntry): entry is SavedRef => "savedId" in entry;
