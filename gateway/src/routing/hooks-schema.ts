import { z } from "zod";
import { patternProblem } from "../safe-regex/safe-regex.ts";

/**
 * Guardrail keys of the Portkey config. Accepted and validated now so configs written for
 * Portkey parse (and typos in them are caught); running the checks belongs to the guardrails
 * stage, which reads these shapes from ResolvedLeaf.hooks.
 */

const Feedback = z.strictObject({
  value: z.number(),
  weight: z.number().min(0).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

const HookVerdictAction = z.strictObject({ feedback: Feedback.optional() });

/**
 * Check parameters that are regular expressions, by check id (Portkey's `default.regexMatch`
 * takes its pattern as `rule`). Checked when the config is parsed, so the guardrails stage only
 * ever runs patterns that ../safe-regex accepts (RE2: linear time, bounded size), and a bad one is
 * a 400 naming its path.
 */
const PATTERN_PARAMETERS: Readonly<Record<string, string>> = { "default.regexMatch": "rule" };

function checkPatterns(
  checkId: string,
  parameters: Record<string, unknown>,
  path: PropertyKey[],
  ctx: z.RefinementCtx,
): void {
  const name = PATTERN_PARAMETERS[checkId];
  if (name === undefined || parameters[name] === undefined) return;
  const problem = patternProblem(parameters[name]);
  if (problem !== null) ctx.addIssue({ code: "custom", path: [...path, name], message: problem });
}

const Check = z
  .strictObject({
    id: z.string().min(1),
    parameters: z.record(z.string(), z.unknown()).default({}),
    is_enabled: z.boolean().optional(),
  })
  .superRefine((check, ctx) => checkPatterns(check.id, check.parameters, ["parameters"], ctx));

/** Long form (`before_request_hooks` / `after_request_hooks`). An entry with only an id references a saved guardrail. */
export const HookObject = z.strictObject({
  id: z.string().min(1),
  type: z.enum(["guardrail", "mutator"]).default("guardrail"),
  name: z.string().optional(),
  checks: z.array(Check).optional(),
  deny: z.boolean().optional(),
  async: z.boolean().optional(),
  sequential: z.boolean().optional(),
  on_fail: HookVerdictAction.optional(),
  on_success: HookVerdictAction.optional(),
});
export type HookObject = z.infer<typeof HookObject>;

export const HOOK_OBJECT_KEYS = Object.keys(HookObject.shape);

// Keys of a shorthand entry that are settings rather than checks.
const SHORTHAND_SETTINGS: Record<string, z.ZodType> = {
  id: z.string().min(1),
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
        } else if (!CHECK_KEY.test(key)) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `unknown key; a check is named "<plugin>.<check>" (e.g. "default.contains"), settings are ${Object.keys(SHORTHAND_SETTINGS).join(", ")}`,
          });
        } else if (typeof value !== "object" || value === null || Array.isArray(value)) {
          ctx.addIssue({ code: "custom", path: [key], message: "check parameters must be an object" });
        } else {
          checkPatterns(key, value as Record<string, unknown>, [key], ctx);
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

/** The four guardrail keys, as they appear on any target (inherited by children that set none). */
export const hookFields = {
  input_guardrails: z.array(GuardrailShorthand).optional(),
  output_guardrails: z.array(GuardrailShorthand).optional(),
  before_request_hooks: z.array(HookObject).optional(),
  after_request_hooks: z.array(HookObject).optional(),
};
