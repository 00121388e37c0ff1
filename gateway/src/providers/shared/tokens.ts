import type { Usage } from "@switchyard/events";
import { makeUsage } from "./usage.ts";

/**
 * Local token counting for providers that report no usage (some local servers, a stream cut
 * before its usage event): a real BPE tokenizer (gpt-tokenizer, o200k_base), loaded on first use
 * so start-up does not pay for its tables. Counts are an estimate for non-OpenAI models, so the
 * usage is marked `estimated: true`.
 */
type Counter = (text: string) => number;
let counter: Promise<Counter> | null = null;

function loadCounter(): Promise<Counter> {
  counter ??= import("gpt-tokenizer/encoding/o200k_base").then((m) => (text: string) => m.countTokens(text));
  return counter;
}

/** Per-message framing OpenAI documents for chat models (3 per message + 3 to prime the reply). */
const PER_MESSAGE = 3;
const PER_REPLY = 3;

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        const p = part as { text?: unknown; type?: unknown };
        return typeof p.text === "string" ? p.text : "";
      })
      .join("\n");
  }
  return "";
}

/** Everything in a chat request that becomes prompt tokens: message text, tool calls, tool definitions. */
export function promptText(request: { messages?: unknown; tools?: unknown }): { text: string; messages: number } {
  const messages = Array.isArray(request.messages) ? request.messages : [];
  const parts: string[] = [];
  for (const m of messages as Array<Record<string, unknown>>) {
    parts.push(String(m.role ?? ""), textOf(m.content));
    if (Array.isArray(m.tool_calls)) parts.push(JSON.stringify(m.tool_calls));
  }
  if (Array.isArray(request.tools)) parts.push(JSON.stringify(request.tools));
  return { text: parts.join("\n"), messages: messages.length };
}

export async function countTokens(text: string): Promise<number> {
  if (text.length === 0) return 0;
  return (await loadCounter())(text);
}

/** Estimated usage for a chat request and the text it produced. */
export async function estimateChatUsage(
  request: { messages?: unknown; tools?: unknown },
  output: string,
): Promise<Usage> {
  const prompt = promptText(request);
  const input = (await countTokens(prompt.text)) + prompt.messages * PER_MESSAGE + PER_REPLY;
  return makeUsage({ input, output: await countTokens(output), estimated: true });
}

/** Estimated usage for plain prompt text (embeddings, legacy completions). */
export async function estimateTextUsage(input: string, output: string): Promise<Usage> {
  return makeUsage({ input: await countTokens(input), output: await countTokens(output), estimated: true });
}
