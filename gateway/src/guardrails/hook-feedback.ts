import type { PreparedHook } from "./hooks.ts";
import type { CheckResult, HookResult } from "./types.ts";

/** What a hook's result carries besides its checks: Portkey's feedback, and the created_at timestamps. */

// created_at of every result of a run: one ISO string per millisecond, not one Date per request.
let lastMs = -1;
let lastIso = "";
export function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

/** Portkey's feedback: on_success when every check passed (or errored), else on_fail, with the checks named. */
export function feedbackOf(
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
