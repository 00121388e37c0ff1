import type { Usage } from "@switchyard/events";
import { z } from "zod";
import type { StreamEncoder } from "../pipeline/endpoint.ts";
import type { RequestOutcome } from "../pipeline/outcome.ts";
import type { StreamChunk } from "../providers/provider.ts";
import { ChatCompletionRequest } from "../schemas/chat.ts";
import type { StreamChunkFacts } from "../telemetry/index.ts";

/**
 * The Anthropic Messages format at the gateway's edge (/v1/messages): an Anthropic request is
 * read into the gateway's OpenAI chat request (so it routes to ANY provider), and the OpenAI
 * answer — JSON or chat.completion.chunk stream — is written back as an Anthropic message or
 * Anthropic SSE events (message_start, content_block_*, message_delta, message_stop).
 */
const Block = z.looseObject({ type: z.string() });
export const MessagesRequest = z.looseObject({
  model: z.string().min(1, "model is required"),
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
  metadata: z.looseObject({ user_id: z.string().optional() }).optional(),
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
function stopReason(finishReason: unknown): string {
  return STOP[String(finishReason)] ?? "end_turn";
}

/** The Anthropic message id the client gets for a chat completion id. */
function messageId(completionId: unknown): string {
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

const event = (name: string, data: Obj) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/** chat.completion.chunk events → Anthropic SSE events, block by block, as they arrive. */
export function anthropicStreamEncoder(requestedModel: string): StreamEncoder {
  let started = false;
  let index = -1;
  let open: "text" | "thinking" | "tool_use" | null = null;
  let stop = "end_turn";
  let usage: Usage | null = null;
  const toolBlocks = new Map<number, number>();
  let out = "";
  // The last chunk id seen and its message id: chunks repeat one id, so it is mapped once.
  let lastId: string | null = null;
  let lastMessageId: string | null = null;
  const close = () => {
    if (open !== null) out += event("content_block_stop", { type: "content_block_stop", index });
    open = null;
  };
  const start = (kind: "text" | "thinking", block: Obj) => {
    if (open === kind) return;
    close();
    index += 1;
    open = kind;
    out += event("content_block_start", { type: "content_block_start", index, content_block: block });
  };
  return {
    chunk(chunk: StreamChunk) {
      out = "";
      if (chunk.usage) usage = chunk.usage;
      const data = JSON.parse(chunk.data) as Obj;
      if (!started) {
        started = true;
        out += event("message_start", {
          type: "message_start",
          message: {
            id: messageId(chunk.id),
            type: "message",
            role: "assistant",
            model: data.model ?? requestedModel,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 0, output_tokens: 0 },
          },
        });
      }
      for (const choice of (data.choices as Obj[]) ?? []) {
        const delta = (choice.delta ?? {}) as Obj;
        if (typeof delta.reasoning_content === "string" && delta.reasoning_content) {
          start("thinking", { type: "thinking", thinking: "", signature: "" });
          out += event("content_block_delta", {
            type: "content_block_delta",
            index,
            delta: { type: "thinking_delta", thinking: delta.reasoning_content },
          });
        }
        if (typeof delta.reasoning_signature === "string" && delta.reasoning_signature) {
          start("thinking", { type: "thinking", thinking: "", signature: "" });
          out += event("content_block_delta", {
            type: "content_block_delta",
            index,
            delta: { type: "signature_delta", signature: delta.reasoning_signature },
          });
        }
        if (typeof delta.content === "string" && delta.content) {
          start("text", { type: "text", text: "" });
          out += event("content_block_delta", {
            type: "content_block_delta",
            index,
            delta: { type: "text_delta", text: delta.content },
          });
        }
        for (const call of (delta.tool_calls as Obj[]) ?? []) {
          const fn = (call.function ?? {}) as Obj;
          const toolIndex = Number(call.index ?? 0);
          if (call.id !== undefined && !toolBlocks.has(toolIndex)) {
            close();
            index += 1;
            open = "tool_use";
            toolBlocks.set(toolIndex, index);
            out += event("content_block_start", {
              type: "content_block_start",
              index,
              content_block: { type: "tool_use", id: call.id, name: fn.name ?? "", input: {} },
            });
          }
          if (typeof fn.arguments === "string" && fn.arguments) {
            out += event("content_block_delta", {
              type: "content_block_delta",
              index: toolBlocks.get(toolIndex) ?? index,
              delta: { type: "input_json_delta", partial_json: fn.arguments },
            });
          }
        }
        if (typeof choice.finish_reason === "string") stop = stopReason(choice.finish_reason);
      }
      return out;
    },
    // The span reports the message id and stop reasons this client gets (as /v1/messages JSON does).
    facts(chunk: StreamChunk): StreamChunkFacts {
      if (chunk.id !== null && chunk.id !== lastId) {
        lastId = chunk.id;
        lastMessageId = messageId(chunk.id);
      }
      return {
        data: chunk.data,
        id: chunk.id === null ? null : lastMessageId,
        model: chunk.model,
        finishReasons: chunk.finishReasons.length === 0 ? chunk.finishReasons : chunk.finishReasons.map(stopReason),
      };
    },
    end(outcome: RequestOutcome) {
      out = "";
      close();
      out += event("message_delta", {
        type: "message_delta",
        delta: { stop_reason: stop, stop_sequence: null },
        usage: anthropicUsage(usage ?? outcome.usage),
      });
      out += event("message_stop", { type: "message_stop" });
      return out;
    },
    error: (message) => event("error", anthropicError("api_error", message)),
  };
}
