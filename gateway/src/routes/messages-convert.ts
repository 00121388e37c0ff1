import type { Usage } from "@switchyard/events";
import { z } from "zod";
import { ChatCompletionRequest } from "../schemas/chat.ts";
import { EndUser, ModelName } from "../schemas/limits.ts";

/**
 * The Anthropic Messages format at the gateway's edge (/v1/messages): an Anthropic request is
 * read into the gateway's OpenAI chat request (so it routes to ANY provider), and the OpenAI
 * answer — JSON or chat.completion.chunk stream — is written back as an Anthropic message or
 * Anthropic SSE events (message_start, content_block_*, message_delta, message_stop; in
 * messages-stream.ts).
 */
const Block = z.looseObject({ type: z.string() });
export const MessagesRequest = z.looseObject({
  model: ModelName,
  max_tokens: z.number().int().positive("max_tokens must be positive"),
  messages: z
    .array(z.looseObject({ role: z.enum(["user", "assistant"]), content: z.union([z.string(), z.array(Block)]) }))
    .min(1, "messages must contain at least one message"),
  system: z.union([z.string(), z.array(Block)]).optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  top_k: z.number().optional(),
  tools: z
    .array(
      z.looseObject({ name: z.string(), description: z.string().optional(), input_schema: z.unknown().optional() }),
    )
    .optional(),
  tool_choice: z
    .looseObject({
      type: z.enum(["auto", "any", "tool", "none"]),
      name: z.string().optional(),
      disable_parallel_tool_use: z.boolean().optional(),
    })
    .optional(),
  metadata: z.looseObject({ user_id: EndUser.optional() }).optional(),
  thinking: z.unknown().optional(),
});
export type MessagesRequest = z.infer<typeof MessagesRequest>;

type Obj = Record<string, unknown>;

function textOfBlocks(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return (content as Obj[]).map((b) => (b.type === "text" ? String(b.text ?? "") : "")).join("");
}

function imagePart(block: Obj, param: string): Obj {
  const source = (block.source ?? {}) as Obj;
  if (source.type === "base64") {
    return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  }
  if (source.type === "url") return { type: "image_url", image_url: { url: source.url } };
  throw new MessagesInputError(`image source type ${String(source.type)} is not supported`, param);
}

export class MessagesInputError extends Error {
  readonly param: string;
  constructor(message: string, param: string) {
    super(message);
    this.name = "MessagesInputError";
    this.param = param;
  }
}

/** Anthropic request → the gateway's OpenAI chat request (validated like /v1/chat/completions). */
export function toChatRequest(req: MessagesRequest): ReturnType<typeof ChatCompletionRequest.safeParse> {
  const messages: Obj[] = [];
  if (req.system !== undefined) messages.push({ role: "system", content: textOfBlocks(req.system) });
  req.messages.forEach((m, i) => {
    if (typeof m.content === "string") {
      messages.push({ role: m.role, content: m.content });
      return;
    }
    const parts: Obj[] = [];
    const toolCalls: Obj[] = [];
    (m.content as Obj[]).forEach((block, j) => {
      const param = `messages.${i}.content.${j}`;
      switch (block.type) {
        case "text":
          parts.push({ type: "text", text: String(block.text ?? "") });
          break;
        case "image":
          parts.push(imagePart(block, param));
          break;
        case "tool_use":
          toolCalls.push({
            id: block.id,
            type: "function",
            function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
          });
          break;
        case "tool_result":
          // Tool results become OpenAI tool messages, ahead of the rest of the user turn.
          messages.push({ role: "tool", tool_call_id: block.tool_use_id, content: textOfBlocks(block.content) });
          break;
        case "thinking":
        case "redacted_thinking":
          break; // earlier thinking is the provider's own business; not resent
        default:
          throw new MessagesInputError(
            `content block type ${String(block.type)} is not supported here`,
            `${param}.type`,
          );
      }
    });
    if (m.role === "assistant") {
      const text = parts.map((p) => String(p.text ?? "")).join("");
      if (text || toolCalls.length > 0) {
        messages.push({
          role: "assistant",
          content: text || null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        });
      }
    } else if (parts.length > 0) {
      messages.push({ role: "user", content: parts });
    }
  });
  const chat: Obj = { model: req.model, messages, max_tokens: req.max_tokens };
  if (req.stop_sequences) chat.stop = req.stop_sequences;
  for (const name of ["temperature", "top_p", "top_k"] as const) if (req[name] !== undefined) chat[name] = req[name];
  if (req.stream) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  if (req.tools) {
    chat.tools = req.tools.map((t) => ({
      type: "function",
      function: {
        name: t.name,
        ...(t.description ? { description: t.description } : {}),
        parameters: t.input_schema ?? { type: "object", properties: {} },
      },
    }));
  }
  const choice = req.tool_choice;
  if (choice) {
    chat.tool_choice =
      choice.type === "tool"
        ? { type: "function", function: { name: choice.name } }
        : ({ auto: "auto", any: "required", none: "none" } as const)[choice.type];
    if (choice.disable_parallel_tool_use) chat.parallel_tool_calls = false;
  }
  if (req.metadata?.user_id) chat.user = req.metadata.user_id;
  if (req.thinking !== undefined) chat.thinking = req.thinking;
  return ChatCompletionRequest.safeParse(chat);
}

const STOP: Record<string, string> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  function_call: "tool_use",
  content_filter: "refusal",
};

/** An OpenAI finish_reason as Anthropic's stop_reason. */
export function stopReason(finishReason: unknown): string {
  return STOP[String(finishReason)] ?? "end_turn";
}

/** The Anthropic message id the client gets for a chat completion id. */
export function messageId(completionId: unknown): string {
  const id = String(completionId ?? "switchyard");
  // An Anthropic upstream's id already is a message id (msg_…): kept as is, never msg_msg_….
  return id.startsWith("msg_") ? id : `msg_${id.replace(/^chatcmpl-/, "")}`;
}

export function anthropicUsage(usage: Usage | null) {
  const u = usage ?? { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 };
  return {
    input_tokens: Math.max(0, u.input_tokens - u.cache_read_tokens - u.cache_write_tokens),
    output_tokens: u.output_tokens,
    cache_read_input_tokens: u.cache_read_tokens,
    cache_creation_input_tokens: u.cache_write_tokens,
  };
}

function parseArgs(raw: unknown): unknown {
  try {
    return JSON.parse(typeof raw === "string" && raw.trim() !== "" ? raw : "{}");
  } catch {
    return {};
  }
}

/** An OpenAI chat.completion → an Anthropic message. */
export function toAnthropicMessage(completion: Obj, usage: Usage | null, requestedModel: string): Obj {
  const choice = ((completion.choices as Obj[]) ?? [])[0] ?? {};
  const message = (choice.message ?? {}) as Obj;
  const content: Obj[] = [];
  if (typeof message.reasoning_content === "string" && message.reasoning_content) {
    const blocks = (message.content_blocks as Obj[] | undefined) ?? [];
    const signature = blocks.find((b) => b.type === "thinking")?.signature;
    content.push({ type: "thinking", thinking: message.reasoning_content, signature: signature ?? "" });
  }
  if (typeof message.content === "string" && message.content) content.push({ type: "text", text: message.content });
  for (const call of (message.tool_calls as Obj[]) ?? []) {
    const fn = (call.function ?? {}) as Obj;
    content.push({ type: "tool_use", id: call.id, name: fn.name, input: parseArgs(fn.arguments) });
  }
  return {
    id: messageId(completion.id),
    type: "message",
    role: "assistant",
    model: completion.model ?? requestedModel,
    content,
    stop_reason: stopReason(choice.finish_reason),
    stop_sequence: null,
    usage: anthropicUsage(usage),
  };
}

const ERROR_TYPES = new Set([
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "rate_limit_error",
  "api_error",
  "overloaded_error",
  "timeout_error",
]);

/** An error in Anthropic's shape: `{type: "error", error: {type, message}}`. */
export function anthropicError(type: string, message: string): Obj {
  return { type: "error", error: { type: ERROR_TYPES.has(type) ? type : "api_error", message } };
}
