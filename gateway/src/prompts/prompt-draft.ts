import type { PromptState, PromptVersionState } from "@switchyard/platform";
import { GatewayError } from "../errors.ts";
import { invalidBody } from "../pipeline/endpoint.ts";
import { PromptDraft, versionInput } from "./prompt-api-schemas.ts";
import { type PromptCall, parsePromptCall, templateProblem } from "./prompt-call.ts";
import type { ResolvedPrompt } from "./prompt-resolver.ts";

/**
 * `POST /v1/prompts/completions`: a prompt call whose version comes in the body, unsaved — the
 * playground runs an edit before (or without) saving it. The body is an ordinary prompt call
 * (`variables`, `stream`, model params at the root) plus `prompt`: the fields a create/update body
 * saves (`string`, `template_format`, `model`, `parameters`, `virtual_key`, `config`, …). The
 * template is checked as a save would check it; everything after is the prompt call's pipeline.
 */
export const DRAFT_PROMPT_ID = "draft";

/** Parses a draft call body: a 400 naming `prompt.<field>` or the call's own field. */
export function parseDraftCall(body: unknown): PromptCall {
  const root = typeof body === "object" && body !== null && !Array.isArray(body) ? body : {};
  const { prompt, ...rest } = root as { prompt?: unknown };
  const parsed = PromptDraft.safeParse(prompt);
  if (!parsed.success) {
    throw invalidBody(parsed.error.issues.map((issue) => ({ ...issue, path: ["prompt", ...issue.path] })));
  }
  const draft = parsed.data;
  const problem = templateProblem(versionInput(draft).format ?? "text", draft.string);
  if (problem) throw new GatewayError("invalid_template", problem, "prompt.string");
  return { ...parsePromptCall(rest), draft };
}

/**
 * The draft as a resolved prompt of the caller's tenant (never stored): version 0 of the prompt
 * `draft`, so rendering, partials, and routing by its virtual key or saved config work as for a
 * saved version. Its requests record no prompt version (none rendered them).
 */
export function draftPrompt(tenantId: string, draft: PromptDraft): ResolvedPrompt {
  const input = versionInput(draft);
  const at = new Date().toISOString();
  const version: PromptVersionState = {
    tenant_id: tenantId,
    prompt_id: DRAFT_PROMPT_ID,
    version: 0,
    template: draft.string,
    format: input.format ?? "text",
    parameters: input.parameters ?? {},
    ...(input.model !== undefined ? { model: input.model } : {}),
    ...(input.virtual_key !== undefined ? { virtual_key: input.virtual_key } : {}),
    ...(input.config_id !== undefined ? { config_id: input.config_id } : {}),
    created_at: at,
  };
  const prompt: PromptState = {
    id: DRAFT_PROMPT_ID,
    tenant_id: tenantId,
    kind: "prompt",
    name: "draft",
    default_version: 0,
    latest_version: 0,
    labels: {},
    version: 0,
    created_at: at,
    updated_at: at,
  };
  return { prompt, version, label: null };
}
