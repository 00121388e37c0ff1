import type { ChatCompletionRequest } from "../../schemas/chat.ts";
import { type ProviderAdapter, parseJson } from "../adapter.ts";
import type { StreamChunk, UpstreamCall } from "../provider.ts";
import { chunkBuilder, completionId } from "../shared/chunks.ts";
import {
  copyNumberParams,
  maxTokensOf,
  messagesOf,
  type Part,
  partsOf,
  stopOf,
  systemText,
  textOf,
  toolCallsOf,
  toolChoiceOf,
  toolsOf,
} from "../shared/openai-request.ts";
import { type ReplyToolCall, replyResponse } from "../shared/openai-response.ts";
import { sseData } from "../shared/sse.ts";
import { TurnList } from "../shared/turns.ts";
import { anthropicMessagesTransform } from "./messages-native.ts";
import { usageFromAnthropic } from "./usage.ts";
import { ANTHROPIC_BASE_URL, anthropicError, anthropicHeaders, finishFromAnthropic, messagesUrl } from "./wire.ts";

/** Anthropic requires max_tokens; OpenAI clients rarely send it. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

type Block = Record<string, unknown>;

function imageBlock(part: Extract<Part, { kind: "image" }>): Block {
  if (part.data) {
    return { type: "image", source: { type: "base64", media_type: part.data.mediaType, data: part.data.data } };
  }
  return { type: "image", source: { type: "url", url: part.url } };
}

function contentBlocks(content: unknown, index: number): Block[] {
  return partsOf(content, index).map((p) => (p.kind === "text" ? { type: "text", text: p.text } : imageBlock(p)));
}

/** OpenAI messages → Anthropic messages: system lifted out, tool results as user tool_result blocks. */
export function anthropicMessages(request: ChatCompletionRequest): Array<{ role: string; content: Block[] }> {
  const turns = new TurnList<Block>();
  messagesOf(request).forEach((m, i) => {
    if (m.role === "system" || m.role === "developer") return;
    if (m.role === "tool" || m.role === "function") {
      turns.push("user", [
        { type: "tool_result", tool_use_id: m.tool_call_id ?? m.name ?? "", content: textOf(m.content) },
      ]);
      return;
    }
    if (m.role === "assistant") {
      const blocks: Block[] = contentBlocks(m.content, i);
      for (const call of toolCallsOf(m, i))
        blocks.push({ type: "tool_use", id: call.id, name: call.name, input: call.args });
      turns.push("assistant", blocks);
      return;
    }
    turns.push("user", contentBlocks(m.content, i));
  });
  return turns.turns.map((t) => ({ role: t.role, content: t.items }));
}

export function anthropicRequestBody(request: ChatCompletionRequest, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: maxTokensOf(request) ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: anthropicMessages(request),
  };
  // Anthropic has no JSON-mode switch: it is asked for in the system prompt.
  const system = systemText(request, true);
  if (system) body.system = system;
  const stop = stopOf(request);
  if (stop && stop.length > 0) body.stop_sequences = stop;
  copyNumberParams(request, body, { temperature: "temperature", top_p: "top_p", top_k: "top_k" });
  const tools = toolsOf(request);
  if (tools.length > 0) {
    body.tools = tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters }));
  }
  const choice = toolChoiceOf(request);
  const parallel = (request as { parallel_tool_calls?: unknown }).parallel_tool_calls;
  if (choice) {
    body.tool_choice =
      choice.kind === "tool"
        ? { type: "tool", name: choice.name }
        : { type: choice.kind === "required" ? "any" : choice.kind };
  }
  if (parallel === false && tools.length > 0) {
    body.tool_choice = { ...((body.tool_choice as object) ?? { type: "auto" }), disable_parallel_tool_use: true };
  }
  const thinking = (request as { thinking?: unknown }).thinking;
  if (thinking !== undefined) body.thinking = thinking;
  if (request.user) body.metadata = { user_id: request.user };
  if (stream) body.stream = true;
  return body;
}

interface AnthropicMessage {
  id?: string;
  model?: string;
  content?: Array<{
    type: string;
    text?: string;
    id?: string;
    name?: string;
    input?: unknown;
    thinking?: string;
    signature?: string;
  }>;
  stop_reason?: string;
  usage?: unknown;
}

async function* anthropicChunks(body: AsyncIterable<Uint8Array>, call: UpstreamCall): AsyncGenerator<StreamChunk> {
  const builder = chunkBuilder("anthropic", call);
  let usage: Record<string, number> = {};
  // Anthropic content-block index → OpenAI tool_calls index.
  const toolIndex = new Map<number, number>();
  let tools = 0;
  let started = false;
  for await (const data of sseData(body)) {
    const event = parseJson(data) as Record<string, unknown> | null;
    if (!event) throw new Error("upstream sent a malformed stream event");
    switch (event.type) {
      case "message_start": {
        const message = event.message as AnthropicMessage;
        builder.model = message.model ?? builder.model;
        // The stream is named by Anthropic's message id, as the JSON answer is (each response its own id).
        if (!started && typeof message.id === "string" && message.id) builder.id = message.id;
        usage = { ...(message.usage as Record<string, number>) };
        if (!started) {
          started = true;
          yield builder.start();
        }
        break;
      }
      case "content_block_start": {
        const block = event.content_block as { type: string; id?: string; name?: string; text?: string };
        if (block.type === "tool_use") {
          const index = tools++;
          toolIndex.set(event.index as number, index);
          yield builder.toolCallStart(index, block.id ?? "", block.name ?? "");
        } else if (block.type === "text" && block.text) yield builder.text(block.text);
        break;
      }
      case "content_block_delta": {
        const delta = event.delta as {
          type: string;
          text?: string;
          partial_json?: string;
          thinking?: string;
          signature?: string;
        };
        if (delta.type === "text_delta" && delta.text) yield builder.text(delta.text);
        else if (delta.type === "input_json_delta" && delta.partial_json) {
          yield builder.toolCallArgs(toolIndex.get(event.index as number) ?? 0, delta.partial_json);
        } else if (delta.type === "thinking_delta" && delta.thinking) {
          const chunk = builder.reasoning(delta.thinking);
          if (chunk) yield chunk;
        } else if (delta.type === "signature_delta" && delta.signature) {
          const chunk = builder.reasoning("", delta.signature);
          if (chunk) yield chunk;
        }
        break;
      }
      case "message_delta": {
        const delta = event.delta as { stop_reason?: string };
        usage = { ...usage, ...(event.usage as Record<string, number>) };
        if (delta.stop_reason) yield builder.finish(finishFromAnthropic(delta.stop_reason));
        break;
      }
      case "message_stop": {
        const final = usageFromAnthropic(usage);
        if (final) yield builder.usage(final);
        return;
      }
      case "error": {
        const e = event.error as { type?: string; message?: string } | undefined;
        throw new Error(`upstream stream error: ${e?.type ?? "error"}: ${e?.message ?? "unknown"}`);
      }
      default:
        break; // ping, content_block_stop
    }
  }
  throw new Error("upstream stream ended before message_stop");
}

/** Anthropic Messages API. */
export const anthropicAdapter: ProviderAdapter = {
  upstreamUrl: (target) => target.customHost ?? ANTHROPIC_BASE_URL,
  id: "anthropic",
  capabilities: {
    chat: true,
    streaming: true,
    tools: true,
    vision: true,
    image_urls: true,
    json_mode: true,
    embeddings: false,
    completions: false,
  },
  auth: { description: "x-api-key: <key> (anthropic-version sent by the gateway)", requiresKey: true },
  models: ["claude-opus-4-1", "claude-sonnet-4-5", "claude-sonnet-4-20250514", "claude-3-5-haiku-latest"],
  validateTarget: () => null,
  error: anthropicError,
  // /v1/messages to Anthropic passes through: the client's body up, Anthropic's answer back unchanged.
  messages: anthropicMessagesTransform,
  chat: {
    request: (call, stream) => ({
      url: messagesUrl(call.target),
      headers: anthropicHeaders(call.target),
      body: JSON.stringify(anthropicRequestBody(call.request, stream)),
    }),
    response: (body, call) => {
      const json = parseJson(body) as AnthropicMessage | null;
      if (!json || !Array.isArray(json.content)) throw new Error("not an Anthropic message");
      const texts: string[] = [];
      const toolCalls: ReplyToolCall[] = [];
      let reasoning: { text: string; signature?: string } | null = null;
      for (const block of json.content) {
        if (block.type === "text" && block.text !== undefined) texts.push(block.text);
        else if (block.type === "tool_use") {
          toolCalls.push({ id: block.id ?? "", name: block.name ?? "", arguments: JSON.stringify(block.input ?? {}) });
        } else if (block.type === "thinking") {
          reasoning = { text: block.thinking ?? "", ...(block.signature ? { signature: block.signature } : {}) };
        }
      }
      const usage = usageFromAnthropic(json.usage);
      const reply = {
        id: json.id ?? completionId("anthropic"),
        model: json.model ?? call.request.model,
        texts,
        toolCalls,
        reasoning,
        finish: finishFromAnthropic(json.stop_reason),
      };
      return replyResponse(reply, usage, call);
    },
    stream: anthropicChunks,
  },
};
