import type { PromptVersionState } from "@switchyard/platform";
import { z } from "zod";
import { invalidBody } from "../pipeline/endpoint.ts";
import { ChatCompletionRequest } from "../schemas/chat.ts";
import type { PromptDraft } from "./prompt-api-schemas.ts";
import type { PromptLookup, ResolvedPrompt } from "./prompt-resolver.ts";
import { partialsFor, templateError } from "./prompt-resolver.ts";
import { parseTemplate, renderTemplate } from "./template.ts";

/**
 * The body of `POST /v1/prompts/{id}/completions` and `/render`: `{variables, stream, <model
 * params>}`. Model params at the root override the version's saved ones for this call.
 */
export const PROMPT_VARIABLES_MAX = 256;

/**
 * A variable is a string, or an object / array (for sections and dotted names); numbers, booleans
 * and null are refused, as Portkey's API documents (JSON values go as strings): a section is
 * shown for a non-empty string, list or object and skipped for "" or [].
 */
const VariableValue = z.union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())], {
  error: "must be a string or an object/array (numbers and booleans go as strings)",
});

export const PromptCallBody = z.looseObject({
  variables: z
    .record(z.string().min(1).max(128), VariableValue)
    .refine((v) => Object.keys(v).length <= PROMPT_VARIABLES_MAX, `at most ${PROMPT_VARIABLES_MAX} variables`)
    .default({}),
  stream: z.boolean().optional(),
});

export interface PromptCall {
  variables: Record<string, unknown>;
  stream: boolean | undefined;
  /** Every other root field: model params that override the saved ones. */
  overrides: Record<string, unknown>;
  /** An unsaved version to run instead of a saved one (`POST /v1/prompts/completions`, prompt-draft.ts). */
  draft?: PromptDraft;
}

/** Validates a call body (a 400 naming the field), splitting variables from overriding params. */
export function parsePromptCall(body: unknown): PromptCall {
  const parsed = PromptCallBody.safeParse(body ?? {});
  if (!parsed.success) throw invalidBody(parsed.error.issues);
  // promptID / prompt_id: the SDK's own fields (render leaves it in the body), never model params.
  const { variables, stream, promptID: _a, prompt_id: _b, ...overrides } = parsed.data;
  return { variables, stream, overrides };
}

/** A chat template: the JSON text of a messages array, as Portkey stores it. Checked on write. */
export function parseChatTemplate(template: string): Record<string, unknown>[] {
  let messages: unknown;
  try {
    messages = JSON.parse(template);
  } catch {
    throw new Error("a chat template must be the JSON text of a messages array");
  }
  if (!Array.isArray(messages) || messages.length === 0)
    throw new Error("a chat template must be a non-empty messages array");
  messages.forEach((m, i) => {
    if (typeof m !== "object" || m === null || typeof (m as { role?: unknown }).role !== "string") {
      throw new Error(`message [${i}] must be an object with a role`);
    }
  });
  return messages as Record<string, unknown>[];
}

/** A stored version's chat messages, parsed once per version (versions are immutable objects). */
const messagesOf = new WeakMap<PromptVersionState, Record<string, unknown>[]>();
function versionMessages(version: PromptVersionState): Record<string, unknown>[] {
  let messages = messagesOf.get(version);
  if (!messages) {
    messages = parseChatTemplate(version.template);
    messagesOf.set(version, messages);
  }
  return messages;
}

/** Every template text in a version: the whole text, or each message's text contents. */
export function templateTexts(format: "chat" | "text", template: string, parsed?: Record<string, unknown>[]): string[] {
  if (format === "text") return [template];
  const texts: string[] = [];
  for (const message of parsed ?? parseChatTemplate(template)) {
    const content = message.content;
    if (typeof content === "string") texts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) if (typeof part?.text === "string") texts.push(part.text);
    }
  }
  return texts;
}

/** Checks a template on write: it parses (and for chat, is a messages array). Returns the problem or null. */
export function templateProblem(format: "chat" | "text", template: string): string | null {
  try {
    for (const text of templateTexts(format, template)) parseTemplate(text);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Renders a resolved version with the call's variables into the chat request it sends. */
export function renderPromptChat(
  lookup: PromptLookup,
  tenantId: string,
  resolved: ResolvedPrompt,
  call: PromptCall,
): ChatCompletionRequest {
  const { version } = resolved;
  let messages: unknown[];
  try {
    const parsed = version.format === "chat" ? versionMessages(version) : undefined;
    const partials = partialsFor(lookup, tenantId, templateTexts(version.format, version.template, parsed));
    const render = (text: string) => renderTemplate(text, call.variables, partials);
    messages =
      parsed === undefined
        ? [{ role: "user", content: render(version.template) }]
        : parsed.map((message) => renderMessage(message, render));
  } catch (error) {
    throw templateError(error);
  }
  const body = {
    ...version.parameters,
    ...(version.model !== undefined ? { model: version.model } : {}),
    messages,
    ...call.overrides,
    ...(call.stream !== undefined ? { stream: call.stream } : {}),
  };
  const parsed = ChatCompletionRequest.safeParse(body);
  if (!parsed.success) throw invalidBody(parsed.error.issues);
  return parsed.data;
}

function renderMessage(message: Record<string, unknown>, render: (text: string) => string): Record<string, unknown> {
  const content = message.content;
  if (typeof content === "string") return { ...message, content: render(content) };
  if (!Array.isArray(content)) return message;
  return {
    ...message,
    content: content.map((part) => (typeof part?.text === "string" ? { ...part, text: render(part.text) } : part)),
  };
}
