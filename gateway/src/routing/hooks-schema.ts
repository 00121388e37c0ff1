import { z } from "zod";
import { canonicalCheckId, checkIssues } from "../guardrails/checks/registry.ts";
import type { HookStage } from "../guardrails/types.ts";

/**
 * Guardrail keys of the Portkey config, validated when the config is parsed (every check against
 * the built-in it names); the guardrails stage (../pipeline/stages/guardrails.ts) runs them from
 * ResolvedLeaf.hooks.
 */

export const Feedback = z.strictObject({
  // The feedback pipeline's bounds (POST /v1/feedback): an integer score, a weight in [0, 1].
  value: z.number().int().min(-10).max(10),
  weight: z.number().min(0).max(1).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const HookVerdictAction = z.strictObject({ feedback: Feedback.optional() });

/**
 * A check as configured, checked against the built-in it names (../guardrails/checks/registry.ts):
 * an unknown id, a required parameter missing, a regex RE2 refuses, a JSON schema that does not
 * compile — each a 400 naming its path, so the guardrails stage only ever runs checks that can run.
 * `stage` is null where the same object serves both sides (a saved guardrail is checked per side
 * when used).
 */
function addCheckIssues(
  checkId: string,
  parameters: unknown,
  path: PropertyKey[],
  stage: HookStage | null,
  ctx: z.RefinementCtx,
): void {
  for (const issue of checkIssues(checkId, parameters, stage)) {
    const at = issue.path.length === 0 && path.at(-1) === "parameters" ? path.slice(0, -1).concat("id") : path;
    ctx.addIssue({ code: "custom", path: [...at, ...issue.path], message: issue.message });
  }
}

export const CheckConfig = z.strictObject({
  id: z.string().min(1),
  parameters: z.record(z.string(), z.unknown()).default({}),
  is_enabled: z.boolean().optional(),
});
export type CheckConfig = z.infer<typeof CheckConfig>;

/** Long form (`before_request_hooks` / `after_request_hooks`). An entry with only an id references a saved guardrail. */
export const HookObject = z.strictObject({
  id: z.string().min(1),
  type: z.enum(["guardrail", "mutator"]).default("guardrail"),
  name: z.string().optional(),
  checks: z.array(CheckConfig).optional(),
  deny: z.boolean().optional(),
  async: z.boolean().optional(),
  sequential: z.boolean().optional(),
  on_fail: HookVerdictAction.optional(),
  on_success: HookVerdictAction.optional(),
});
export type HookObject = z.infer<typeof HookObject>;

export const HOOK_OBJECT_KEYS = Object.keys(HookObject.shape);

// Keys of a shorthand entry that are settings rather than checks (Portkey's reserved keys, and name).
const SHORTHAND_SETTINGS: Record<string, z.ZodType> = {
  id: z.string().min(1),
  type: z.enum(["guardrail", "mutator"]),
  guardrail_version_id: z.string(),
  name: z.string(),
  deny: z.boolean(),
  async: z.boolean(),
  sequential: z.boolean(),
  on_fail: HookVerdictAction,
  on_success: HookVerdictAction,
};

// A check key names a plugin and a check: "default.contains", "portkey.moderateContent".
const CHECK_KEY = /^[\w-]+\.[\w-]+$/;

/**
 * Shorthand entry (`input_guardrails` / `output_guardrails`): a saved guardrail id, or an
 * object whose `<plugin>.<check>` keys hold check parameters next to the settings above,
 * e.g. `{"default.contains": {"operator": "none", "words": ["x"]}, "deny": true}`.
 */
export const GuardrailShorthand = z.union(
  [
    z.string().min(1),
    z.record(z.string(), z.unknown()).superRefine((entry, ctx) => {
      let checks = 0;
      for (const [key, value] of Object.entries(entry)) {
        const setting = SHORTHAND_SETTINGS[key];
        if (setting) {
          const parsed = setting.safeParse(value);
          for (const issue of parsed.error?.issues ?? []) {
            ctx.addIssue({ code: "custom", path: [key, ...issue.path], message: issue.message });
          }
        } else if (!CHECK_KEY.test(key) && canonicalCheckId(key) === null) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `unknown key; a check is named "<plugin>.<check>" (e.g. "default.contains"), settings are ${Object.keys(SHORTHAND_SETTINGS).join(", ")}`,
          });
        } else if (typeof value !== "object" || value === null || Array.isArray(value)) {
          ctx.addIssue({ code: "custom", path: [key], message: "check parameters must be an object" });
        } else {
          checks++;
        }
      }
      if (checks === 0 && entry.id === undefined) {
        ctx.addIssue({ code: "custom", path: [], message: "a guardrail needs at least one check or an id" });
      }
    }),
  ],
  { error: "a guardrail is a saved guardrail id or an object of checks" },
);
export type GuardrailShorthand = z.infer<typeof GuardrailShorthand>;

/** Every check of a long-form hook list checked for the side it runs on. */
const hookList = (stage: HookStage) =>
  z.array(HookObject).superRefine((hooks, ctx) => {
    hooks.forEach((hook, h) => {
      hook.checks?.forEach((check, c) => {
        addCheckIssues(check.id, check.parameters, [h, "checks", c, "parameters"], stage, ctx);
      });
    });
  });

/** Every check key of a shorthand list checked for the side it runs on. */
const shorthandList = (stage: HookStage) =>
  z.array(GuardrailShorthand).superRefine((entries, ctx) =>
    entries.forEach((entry, e) => {
      if (typeof entry === "string") return;
      for (const [key, value] of Object.entries(entry)) {
        const isCheck =
          SHORTHAND_SETTINGS[key] === undefined && (CHECK_KEY.test(key) || canonicalCheckId(key) !== null);
        if (isCheck && typeof value === "object" && value !== null && !Array.isArray(value)) {
          addCheckIssues(key, value, [e, key], stage, ctx);
        }
      }
    }),
  );

/** The four guardrail keys, as they appear on any target (inherited by children that set none). */
export const hookFields = {
  input_guardrails: shorthandList("before").optional(),
  output_guardrails: shorthandList("after").optional(),
  before_request_hooks: hookList("before").optional(),
  after_request_hooks: hookList("after").optional(),
};
