import { CheckInputs } from "./check-inputs.ts";
import { feedbackOf, isoNow } from "./hook-feedback.ts";
import type { PreparedCheck, PreparedHook } from "./hooks.ts";
import { rewriteSlots, type Slot } from "./text.ts";
import type { CheckContext, CheckOutcome, CheckResult, HookResult, HookStage } from "./types.ts";
import { EXPLANATION } from "./types.ts";

/**
 * Runs hooks over a body, Portkey's semantics (docs: README.md in this folder): checks in parallel
 * unless the hook is `sequential` (or a check rewrites the text: rewrites apply in order); a hook
 * passes when every enabled check passed or errored without `failOnError`; hooks run in order,
 * each seeing what earlier ones rewrote. The results have the wire shape of `hook_results`.
 */

export type { CheckContext, CheckResult, HookResult } from "./types.ts";
export { EXPLANATION } from "./types.ts";

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
  const read = inputs.of(check.scope);
  let out: CheckOutcome | Promise<CheckOutcome>;
  try {
    out = check.run(read.input);
  } catch (e) {
    return { result: checkResult(check, null, errorOf(e), started, createdAt), outcome: null, slots: read.slots };
  }
  if (out instanceof Promise) {
    return out.then(
      (o): CheckRun => ({
        result: checkResult(check, o, undefined, started, createdAt),
        outcome: o,
        slots: read.slots,
      }),
      (e: unknown): CheckRun => ({
        result: checkResult(check, null, errorOf(e), started, createdAt),
        outcome: null,
        slots: read.slots,
      }),
    );
  }
  return { result: checkResult(check, out, undefined, started, createdAt), outcome: out, slots: read.slots };
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
  const execution_time = Math.round((performance.now() - started) * 1000) / 1000;
  const data = outcome?.data ?? null;
  // Two literal shapes (with and without error) rather than a spread: the wire keeps Portkey's key order.
  if (error !== undefined) {
    return {
      id: check.id,
      verdict,
      data,
      error,
      execution_time,
      transformed,
      created_at: createdAt,
      log: null,
      fail_on_error: check.failOnError,
      [EXPLANATION]: `check errored: ${error.name}`,
    };
  }
  return {
    id: check.id,
    verdict,
    data,
    execution_time,
    transformed,
    created_at: createdAt,
    log: null,
    fail_on_error: check.failOnError,
    [EXPLANATION]: outcome?.explanation ?? null,
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
  createdAt: string = isoNow(),
): HookRun | Promise<HookRun> {
  const started = performance.now();
  const enabled = hook.enabled;
  const checks: CheckResult[] = [];
  let current = body;
  if (hook.inOrder) {
    // Each check sees what the previous one rewrote.
    const take = (run: CheckRun): void => {
      checks.push(run.result);
      current = applied(hook.stage, current, run.outcome, run.slots);
    };
    const next = (check: PreparedCheck) =>
      runCheck(check, new CheckInputs(hook.stage, current, requestJson, context), createdAt);
    const rest = async (from: number, first: Promise<CheckRun>): Promise<HookRun> => {
      take(await first);
      for (let i = from + 1; i < enabled.length; i++) {
        const pending = next(enabled[i] as PreparedCheck);
        take(pending instanceof Promise ? await pending : pending);
      }
      return finished(hook, checks, current, started, createdAt, metadata);
    };
    for (let i = 0; i < enabled.length; i++) {
      const pending = next(enabled[i] as PreparedCheck);
      if (pending instanceof Promise) return rest(i, pending);
      take(pending);
    }
    return finished(hook, checks, current, started, createdAt, metadata);
  }
  // In parallel: every check reads the same inputs (only a webhook's whole-body answer is applied after).
  const inputs = new CheckInputs(hook.stage, current, requestJson, context);
  const runs: Array<CheckRun | Promise<CheckRun>> = [];
  let waiting = false;
  for (let i = 0; i < enabled.length; i++) {
    const run = runCheck(enabled[i] as PreparedCheck, inputs, createdAt);
    if (run instanceof Promise) waiting = true;
    runs.push(run);
  }
  const done = (all: readonly CheckRun[]): HookRun => {
    for (const run of all) {
      checks.push(run.result);
      if (run.outcome !== null) current = applied(hook.stage, current, run.outcome, run.slots);
    }
    return finished(hook, checks, current, started, createdAt, metadata);
  };
  return waiting ? Promise.all(runs).then(done) : done(runs as CheckRun[]);
}

function finished(
  hook: PreparedHook,
  checks: CheckResult[],
  body: unknown,
  started: number,
  createdAt: string,
  metadata: Readonly<Record<string, string>>,
): HookRun {
  let verdict = true;
  let transformed = false;
  for (const c of checks) {
    if (!c.verdict) verdict = false;
    if (c.transformed) transformed = true;
  }
  return {
    result: {
      id: hook.id,
      type: hook.type,
      verdict,
      deny: !verdict && hook.deny,
      async: hook.async,
      transformed,
      execution_time: Math.round((performance.now() - started) * 1000) / 1000,
      created_at: createdAt,
      feedback: hook.onSuccess === null && hook.onFail === null ? null : feedbackOf(hook, verdict, checks, metadata),
      checks,
    },
    body,
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
  const createdAt = isoNow();
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
