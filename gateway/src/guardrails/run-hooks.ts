import { CheckInputs } from "./check-inputs.ts";
import type { PreparedCheck, PreparedHook } from "./hooks.ts";
import { rewriteSlots, type Slot } from "./text.ts";
import type { CheckContext, CheckOutcome, HookStage } from "./types.ts";

/**
 * Runs hooks over a body, Portkey's semantics (docs: README.md in this folder): checks in parallel
 * unless the hook is `sequential` (or a check rewrites the text: rewrites apply in order); a hook
 * passes when every enabled check passed or errored without `failOnError`; hooks run in order,
 * each seeing what earlier ones rewrote. The results have the wire shape of `hook_results`.
 */

/** Where a check result keeps what only the event gets (not serialised: symbol keys are skipped by JSON). */
export const EXPLANATION: unique symbol = Symbol("explanation");

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
  /** The event's explanation: under a symbol key, so JSON.stringify (the wire) leaves it out. */
  [EXPLANATION]: string | null;
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

export type { CheckContext } from "./types.ts";

export interface HooksRun {
  results: HookResult[];
  /** The body after every rewrite (the same object when nothing was rewritten). */
  body: unknown;
  transformed: boolean;
  /** Some hook failed; `denied` when one of those had `deny`. */
  failed: boolean;
  denied: boolean;
}

interface CheckRun {
  result: CheckResult;
  outcome: CheckOutcome | null;
  slots: Slot[];
}

/** One check; synchronous when the check is (most are), so a hook of cheap checks awaits nothing. */
function runCheck(check: PreparedCheck, inputs: CheckInputs, createdAt: string): CheckRun | Promise<CheckRun> {
  const started = performance.now();
  const { input, slots } = inputs.of(check.scope);
  const done = (outcome: CheckOutcome | null, error?: { name: string; message: string }): CheckRun => ({
    result: checkResult(check, outcome, error, started, createdAt),
    outcome,
    slots,
  });
  let out: CheckOutcome | Promise<CheckOutcome>;
  try {
    out = check.run(input);
  } catch (e) {
    return done(null, errorOf(e));
  }
  return out instanceof Promise
    ? out.then(
        (o) => done(o),
        (e: unknown) => done(null, errorOf(e)),
      )
    : done(out);
}

// A check's own failure (a webhook down, no text to match): it passes unless failOnError.
const errorOf = (e: unknown) => ({
  name: (e as Error)?.name ?? "Error",
  message: String((e as Error)?.message ?? e).slice(0, 500),
});

function checkResult(
  check: PreparedCheck,
  outcome: CheckOutcome | null,
  error: { name: string; message: string } | undefined,
  started: number,
  createdAt: string,
): CheckResult {
  const raw = outcome === null ? !check.failOnError : outcome.verdict;
  const verdict = outcome !== null && check.not ? !raw : raw;
  const transformed =
    outcome?.texts !== undefined || outcome?.requestJson !== undefined || outcome?.responseJson !== undefined;
  return {
    id: check.id,
    verdict,
    data: outcome?.data ?? null,
    ...(error ? { error } : {}),
    execution_time: Math.round((performance.now() - started) * 1000) / 1000,
    transformed,
    created_at: createdAt,
    log: null,
    fail_on_error: check.failOnError,
    [EXPLANATION]: error ? `check errored: ${error.name}` : (outcome?.explanation ?? null),
  };
}

/** The body with a check's rewrite applied. */
function applied(stage: HookStage, body: unknown, outcome: CheckOutcome | null, slots: Slot[]): unknown {
  if (outcome === null) return body;
  if (stage === "before" && outcome.requestJson !== undefined) return outcome.requestJson;
  if (stage === "after" && outcome.responseJson !== undefined) return outcome.responseJson;
  return outcome.texts ? rewriteSlots(body, slots, outcome.texts) : body;
}

interface HookRun {
  result: HookResult;
  body: unknown;
}

/**
 * One hook. Synchronous when its checks are (most built-ins): a hook of cheap checks costs no
 * promise; a check that answers later (webhook, validUrls, jwt) turns the rest asynchronous.
 */
export function runHook(
  hook: PreparedHook,
  body: unknown,
  requestJson: unknown,
  context: CheckContext,
  metadata: Readonly<Record<string, string>>,
  createdAt: string = new Date().toISOString(),
): HookRun | Promise<HookRun> {
  const started = performance.now();
  const enabled = hook.checks.filter((c) => c.enabled);
  const inOrder = hook.sequential || enabled.some((c) => c.transforms);
  const checks: CheckResult[] = [];
  let current = body;
  const take = (run: CheckRun): void => {
    checks.push(run.result);
    current = applied(hook.stage, current, run.outcome, run.slots);
  };
  const finish = (): HookRun => {
    const verdict = checks.every((c) => c.verdict);
    return {
      result: {
        id: hook.id,
        type: hook.type,
        verdict,
        deny: !verdict && hook.deny,
        async: hook.async,
        transformed: checks.some((c) => c.transformed),
        execution_time: Math.round((performance.now() - started) * 1000) / 1000,
        created_at: createdAt,
        feedback: feedbackOf(hook, verdict, checks, metadata),
        checks,
      },
      body: current,
    };
  };
  const next = (check: PreparedCheck) =>
    runCheck(check, new CheckInputs(hook.stage, current, requestJson, context), createdAt);
  if (inOrder) {
    // Each check sees what the previous one rewrote.
    const rest = async (from: number, first: Promise<CheckRun>): Promise<HookRun> => {
      take(await first);
      for (let i = from + 1; i < enabled.length; i++) {
        const pending = next(enabled[i] as PreparedCheck);
        take(pending instanceof Promise ? await pending : pending);
      }
      return finish();
    };
    for (let i = 0; i < enabled.length; i++) {
      const pending = next(enabled[i] as PreparedCheck);
      if (pending instanceof Promise) return rest(i, pending);
      take(pending);
    }
    return finish();
  }
  const inputs = new CheckInputs(hook.stage, current, requestJson, context);
  const pending = enabled.map((c) => runCheck(c, inputs, createdAt));
  if (pending.some((p) => p instanceof Promise)) {
    return Promise.all(pending).then((runs) => {
      for (const run of runs) take(run);
      return finish();
    });
  }
  for (const run of pending as CheckRun[]) take(run);
  return finish();
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

/** The inline (non-async) hooks in order; each sees the body as earlier hooks left it. Synchronous when they are. */
export function runHooks(
  hooks: readonly PreparedHook[],
  body: unknown,
  requestJson: unknown,
  context: CheckContext,
  metadata: Readonly<Record<string, string>>,
  trace?: (hook: PreparedHook) => { end(result: { verdict: string }): void },
): HooksRun | Promise<HooksRun> {
  const results: HookResult[] = [];
  let current = body;
  const createdAt = new Date().toISOString();
  const took = (run: HookRun, span: { end(result: { verdict: string }): void } | undefined): void => {
    span?.end({ verdict: run.result.verdict ? "pass" : run.result.deny ? "deny" : "fail" });
    results.push(run.result);
    current = run.body;
  };
  const from = (start: number): HooksRun | Promise<HooksRun> => {
    for (let i = start; i < hooks.length; i++) {
      const hook = hooks[i] as PreparedHook;
      const span = trace?.(hook);
      const run = runHook(hook, current, requestJson, context, metadata, createdAt);
      if (run instanceof Promise) {
        return run.then((r) => {
          took(r, span);
          return from(i + 1);
        });
      }
      took(run, span);
    }
    return {
      results,
      body: current,
      transformed: results.some((r) => r.transformed),
      failed: results.some((r) => !r.verdict),
      denied: results.some((r) => r.deny),
    };
  };
  return from(0);
}
