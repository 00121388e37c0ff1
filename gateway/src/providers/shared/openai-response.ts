import type { Usage } from "@switchyard/events";
import type { ParsedResponse } from "../adapter.ts";
import type { UpstreamCall } from "../provider.ts";
import { type FinishReason, isStrict } from "./chunks.ts";
import { ESTIMATE_PENDING_USAGE, openAIUsageBlock } from "./usage.ts";

export interface ReplyToolCall {
  id: string;
  name: string;
  /** JSON text. */
  arguments: string;
}

export interface Reply {
  id: string;
  model: string;
  text: string | null;
  toolCalls: ReplyToolCall[];
  /** Thinking text and signature, shown only to non-strict clients. */
  reasoning: { text: string; signature?: string } | null;
  finish: FinishReason;
  usage: Usage;
  strict: boolean;
}

/** A provider's answer in the chat.completion shape every client gets. */
export function chatCompletion(reply: Reply): object {
  const message: Record<string, unknown> = { role: "assistant", content: reply.text, refusal: null };
  if (reply.toolCalls.length > 0) {
    message.tool_calls = reply.toolCalls.map((t) => ({
      id: t.id,
      type: "function",
      function: { name: t.name, arguments: t.arguments },
    }));
  }
  if (!reply.strict && reply.reasoning) {
    message.reasoning_content = reply.reasoning.text;
    message.content_blocks = [
      {
        type: "thinking",
        thinking: reply.reasoning.text,
        ...(reply.reasoning.signature ? { signature: reply.reasoning.signature } : {}),
      },
      ...(reply.text ? [{ type: "text", text: reply.text }] : []),
    ];
  }
  return {
    id: reply.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: reply.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: reply.finish }],
    usage: openAIUsageBlock(reply.usage),
  };
}

export function outputTextOf(reply: Pick<Reply, "text" | "toolCalls">): string {
  return (reply.text ?? "") + reply.toolCalls.map((t) => t.name + t.arguments).join("");
}

/** What an adapter reads off a provider's answer: text parts (joined here), tool calls, reasoning, finish. */
export interface ReplyParts extends Omit<Reply, "text" | "usage" | "strict"> {
  texts: string[];
}

/**
 * A provider's answer as the adapter's parsed response: the chat.completion body plus the facts
 * the gateway reads off the reply itself (usage as the provider reported it, null when it did not;
 * the body then shows a pending estimate until the wrapper counts the tokens).
 */
export function replyResponse(parts: ReplyParts, usage: Usage | null, call: UpstreamCall): ParsedResponse {
  const { texts, ...rest } = parts;
  const reply: Reply = {
    ...rest,
    text: texts.length > 0 ? texts.join("") : null,
    usage: usage ?? ESTIMATE_PENDING_USAGE,
    strict: isStrict(call),
  };
  return {
    body: chatCompletion(reply),
    usage,
    model: reply.model,
    outputText: outputTextOf(reply),
    responseId: reply.id,
    finishReasons: [reply.finish],
  };
}
