import type { PreparedCheck, PreparedHook } from "./hooks.ts";
import { requestSlots, responseSlots, rewriteSlots, type Slot } from "./text.ts";
import type { CheckInput, CheckOutcome, HookStage } from "./types.ts";

/**
 * Runs hooks over a body, Portkey's semantics (docs: README.md in this folder): checks in parallel
 * unless the hook is `sequential` (or a check rewrites the text: rewrites apply in order); a hook
 * passes when every enabled check passed or errored without `failOnError`; hooks run in order,
 * each seeing what earlier ones rewrote. The results have the wire shape of `hook_results`.
 */

export interface CheckResult {
  id: string;
  verdict: boolean;
  data: Record<string, unknown> | null;
  error?: { name: string; message: string };
  execution_time: number;
  transformed: boolean;
  created_at: string;
  log: null;
  fail_on_error: boolean;
  /** Not on the wire (stripped when rendered): the event's explanation. */
  explanation: string | null;
}

export interface HookResult {
  id: string;
  type: "guardrail" | "mutator";
  verdict: boolean;
  deny: boolean;
  async: boolean;
  transformed: boolean;
  execution_time: number;
  created_at: string;
  feedback: { value: number; weight: number; metadata: Record<string, unknown> } | null;
  checks: CheckResult[];
}

/** What the checks get besides the text (everything but stage, texts and the bodies). */
export type CheckContext = Omit<CheckInput, "stage" | "texts" | "text" | "requestJson" | "responseJson">;

export interface HooksRun {
  results: HookResult[];
  /** The body after every rewrite (the same object when nothing was rewritten). */
  body: unknown;
  transformed: boolean;
  /** Some hook failed; `denied` when one of those had `deny`. */
  failed: boolean;
  denied: boolean;
}

const slotsOf = (stage: HookStage, body: unknown, scope: "last" | "all"): Slot[] =>
  stage === "before" ? requestSlots(body, scope) : responseSlots(body);

async function runCheck(
  check: PreparedCheck,
  stage: HookStage,
  body: unknown,
  requestJson: unknown,
  context: CheckContext,
): Promise<{ result: CheckResult; outcome: CheckOutcome | null; slots: Slot[] }> {
  const started = performance.now();
  const slots = slotsOf(stage, body, check.scope);
  const texts = slots.map((s) => s.text);
  const input: CheckInput = {
    ...context,
    stage,
    texts,
    text: texts.length === 1 ? (texts[0] as string) : texts.join("\n"),
    requestJson: stage === "before" ? body : requestJson,
    responseJson: stage === "after" ? body : null,
  };
  let outcome: CheckOutcome | null = null;
  let error: { name: string; message: string } | undefined;
  try {
    const out = check.run(input);
    outcome = out instanceof Promise ? await out : out;
  } catch (e) {
    // A check's own failure (a webhook down, no text to match): it passes unless failOnError.
    error = { name: (e as Error)?.name ?? "Error", message: String((e as Error)?.message ?? e).slice(0, 500) };
  }
  const raw = outcome === null ? !check.failOnError : outcome.verdict;
  const verdict = outcome !== null && check.not ? !raw : raw;
  const transformed =
    outcome?.texts !== undefined || outcome?.requestJson !== undefined || outcome?.responseJson !== undefined;
  const result: CheckResult = {
    id: check.id,
    verdict,
    data: outcome?.data ?? null,
    ...(error ? { error } : {}),
    execution_time: Math.round((performance.now() - started) * 1000) / 1000,
    transformed,
    created_at: new Date().toISOString(),
    log: null,
    fail_on_error: check.failOnError,
    explanation: error ? `check errored: ${error.name}` : (outcome?.explanation ?? null),
  };
  return { result, outcome, slots };
}

/** The body with a check's rewrite applied. */
function applied(stage: HookStage, body: unknown, outcome: CheckOutcome | null, slots: Slot[]): unknown {
  if (outcome === null) return body;
  if (stage === "before" && outcome.requestJson !== undefined) return outcome.requestJson;
  if (stage === "after" && outcome.responseJson !== undefined) return outcome.responseJson;
  return outcome.texts ? rewriteSlots(body, slots, outcome.texts) : body;
}

export async function runHook(
  hook: PreparedHook,
  body: unknown,
  requestJson: unknown,
  context: CheckContext,
  metadata: Readonly<Record<string, string>>,
): Promise<{ result: HookResult; body: unknown }> {
  const started = performance.now();
  const enabled = hook.checks.filter((c) => c.enabled);
  const inOrder = hook.sequential || enabled.some((c) => c.transforms);
  const checks: CheckResult[] = [];
  let current = body;
  if (inOrder) {
    for (const check of enabled) {
      const run = await runCheck(check, hook.stage, current, requestJson, context);
      checks.push(run.result);
      current = applied(hook.stage, current, run.outcome, run.slots);
    }
  } else {
    const runs = await Promise.all(enabled.map((c) => runCheck(c, hook.stage, current, requestJson, context)));
    for (const run of runs) {
      checks.push(run.result);
      current = applied(hook.stage, current, run.outcome, run.slots);
    }
  }
  const verdict = checks.every((c) => c.verdict);
  const transformed = checks.some((c) => c.transformed);
  return {
    result: {
      id: hook.id,
      type: hook.type,
      verdict,
      deny: !verdict && hook.deny,
      async: hook.async,
      transformed,
      execution_time: Math.round((performance.now() - started) * 1000) / 1000,
      created_at: new Date().toISOString(),
      feedback: feedbackOf(hook, verdict, checks, metadata),
      checks,
    },
    body: current,
  };
}

/** Portkey's feedback: on_success when every check passed (or errored), else on_fail, with the checks named. */
function feedbackOf(
  hook: PreparedHook,
  verdict: boolean,
  checks: readonly CheckResult[],
  metadata: Readonly<Record<string, string>>,
): HookResult["feedback"] {
  const spec = verdict ? hook.onSuccess : hook.onFail;
  if (spec === null) return null;
  const names = (keep: (c: CheckResult) => boolean) =>
    checks
      .filter(keep)
      .map((c) => c.id)
      .join(", ");
  return {
    value: spec.value,
    weight: spec.weight ?? 1,
    metadata: {
      ...metadata,
      ...(spec.metadata ?? {}),
      successfulChecks: names((c) => c.verdict && c.error === undefined),
      failedChecks: names((c) => !c.verdict),
      erroredChecks: names((c) => c.error !== undefined),
    },
  };
}

/** The inline (non-async) hooks in order; each sees the body as earlier hooks left it. */
export async function runHooks(
  hooks: readonly PreparedHook[],
  body: unknown,
  requestJson: unknown,
  context: CheckContext,
  metadata: Readonly<Record<string, string>>,
): Promise<HooksRun> {
  const results: HookResult[] = [];
  let current = body;
  for (const hook of hooks) {
    const run = await runHook(hook, current, requestJson, context, metadata);
    results.push(run.result);
    current = run.body;
  }
  return {
    results,
    body: current,
    transformed: results.some((r) => r.transformed),
    failed: results.some((r) => !r.verdict),
    denied: results.some((r) => r.deny),
  };
}
