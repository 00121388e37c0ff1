import type { ProviderTarget } from "../provider.ts";
import type { FinishReason } from "../shared/chunks.ts";
import { defaultErrorType, type ErrorInfo, parseJson, upstreamMessage } from "../shared/errors.ts";

/**
 * What both ways of calling Anthropic share — the translated chat path (anthropic.ts) and the
 * native /v1/messages pass-through (messages-native.ts): URL, headers, error and stop-reason mapping.
 */
export const ANTHROPIC_BASE_URL = "https://api.anthropic.com/v1";
export const ANTHROPIC_VERSION = "2023-06-01";
/** Anthropic's Messages endpoint for this target (custom_host replaces the base URL). */
export function messagesUrl(target: ProviderTarget): string {
  return `${(target.customHost ?? ANTHROPIC_BASE_URL).replace(/\/+$/, "")}/messages`;
}

/** The credential (x-api-key), anthropic-version and optional anthropic-beta, over forwarded headers. */
export function anthropicHeaders(t: ProviderTarget): Record<string, string> {
  const h: Record<string, string> = {
    ...t.forwardHeaders,
    "content-type": "application/json",
    "anthropic-version": t.providerFields.anthropic_version ?? ANTHROPIC_VERSION,
  };
  if (t.apiKey) h["x-api-key"] = t.apiKey;
  if (t.providerFields.anthropic_beta) h["anthropic-beta"] = t.providerFields.anthropic_beta;
  return h;
}

/** Anthropic error body `{type: "error", error: {type, message}}` → OpenAI error fields (same type names). */
export function anthropicError(status: number, body: Buffer): ErrorInfo {
  const json = parseJson(body) as { error?: { type?: unknown; message?: unknown } } | null;
  const e = json?.error;
  return {
    message: upstreamMessage(e?.message, status, body),
    type: typeof e?.type === "string" ? e.type : defaultErrorType(status),
    param: null,
    code: typeof e?.type === "string" ? e.type : null,
  };
}

export function finishFromAnthropic(reason: unknown): FinishReason {
  if (reason === "max_tokens" || reason === "model_context_window_exceeded") return "length";
  if (reason === "tool_use") return "tool_calls";
  if (reason === "refusal") return "content_filter";
  return "stop";
}
