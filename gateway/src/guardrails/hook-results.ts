import type { GuardrailHookResult, GuardrailResult } from "@switchyard/events";
import { EXPLANATION, type HookResult } from "./run-hooks.ts";
import type { HookStage } from "./types.ts";

/** Portkey's `hook_results` object and 446 body, and the event's records of the same results. */

export interface HookResultsWire {
  before_request_hooks: unknown[];
  after_request_hooks: unknown[];
}

/** As the client sees them: the results themselves (the event-only explanation is under a symbol key, never serialised). */
export function hookResultsWire(before: readonly HookResult[], after: readonly HookResult[]): HookResultsWire {
  return { before_request_hooks: [...before], after_request_hooks: [...after] };
}

export const DENIED_MESSAGE =
  "The guardrail checks defined in the config failed. You can find more information in the `hook_results` object.";

/** The 446 body: an OpenAI-shaped error (type hooks_failed) plus hook_results, which say which check denied and why. */
export function deniedBody(before: readonly HookResult[], after: readonly HookResult[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      error: { message: DENIED_MESSAGE, type: "hooks_failed", param: null, code: null },
      hook_results: hookResultsWire(before, after),
    }),
  );
}

const isSpace = (byte: number | undefined) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * A JSON object body with `hook_results` added as its last key, spliced in before the closing brace
 * rather than parsed and serialised again (the common case: input hooks ran, the answer is unchanged).
 * null when the body is not a JSON object.
 */
export function withHookResults(
  body: Buffer,
  before: readonly HookResult[],
  after: readonly HookResult[],
): Buffer | null {
  let start = 0;
  while (isSpace(body[start])) start++;
  let end = body.length - 1;
  while (end > start && isSpace(body[end])) end--;
  if (body[start] !== 0x7b || body[end] !== 0x7d) return null;
  let inner = start + 1;
  while (inner < end && isSpace(body[inner])) inner++;
  const results = `${inner === end ? "" : ","}"hook_results":${JSON.stringify(hookResultsWire(before, after))}}`;
  // One allocation: the body up to its closing brace, then the results written in place.
  const out = Buffer.allocUnsafe(end + Buffer.byteLength(results));
  body.copy(out, 0, 0, end);
  out.write(results, end);
  return out;
}

/** The event's hook-level and check-level records, appended to the given lists (never the checked text: explanations are counts and reasons). */
export function eventRecords(
  results: readonly HookResult[],
  stage: HookStage,
  hooks: GuardrailHookResult[] = [],
  checks: GuardrailResult[] = [],
): { hooks: GuardrailHookResult[]; checks: GuardrailResult[] } {
  for (const hook of results) {
    hooks.push({
      hook_id: hook.id,
      hook_type: stage === "before" ? "before_request" : "after_request",
      verdict: hook.verdict,
      deny: hook.deny,
      transformed: hook.transformed,
      async: hook.async,
      latency_ms: hook.execution_time,
    });
    for (const check of hook.checks) {
      checks.push({
        hook_id: hook.id,
        check_id: check.id,
        verdict: check.verdict,
        deny: hook.deny && !check.verdict,
        latency_ms: check.execution_time,
        explanation: check[EXPLANATION],
      });
    }
  }
  return { hooks, checks };
}
