import type { GuardrailValidator } from "@switchyard/platform";
import { checkIssues } from "./checks/registry.ts";

/**
 * A saved guardrail's checks against the built-ins (the admin API and the declarative file call
 * this on write): `checks[1].parameters.rule: …`. Checked for neither side in particular: the
 * configs that name it decide where it runs.
 */
export const validateSavedGuardrail: GuardrailValidator = (checks) =>
  checks.flatMap((check, c) =>
    checkIssues(check.id, check.parameters, null).map((issue) => {
      const path = issue.path.length === 0 ? `checks[${c}].id` : `checks[${c}].parameters.${issue.path.join(".")}`;
      return `${path}: ${issue.message}`;
    }),
  );
