import type { ChatCompletionRequest } from "../../schemas/chat.ts";
import { defaultErrorType, type ErrorInfo, type ProviderAdapter, parseJson } from "../adapter.ts";
import type { StreamChunk, UpstreamCall } from "../provider.ts";
import { chunkBuilder, completionId, type FinishReason } from "../shared/chunks.ts";
import { upstreamMessage } from "../shared/errors.ts";
import {
  copyNumberParams,
  jsonMode,
  maxTokensOf,
  messagesOf,
  partsOf,
  stopOf,
  textOf,
  toolCallsOf,
  toolChoiceOf,
  toolsOf,
} from "../shared/openai-request.ts";
import { type ReplyToolCall, replyResponse } from "../shared/openai-response.ts";
import { sseData } from "../shared/sse.ts";
import { usageFromCohere } from "./usage.ts";

export const COHERE_BASE_URL = "https://api.cohere.com/v2";

/** OpenAI messages → Cohere v2 messages (roles system/user/assistant/tool; OpenAI-like tool calls). */
export function cohereMessages(request: ChatCompletionRequest): Array<Record<string, unknown>> {
  return messagesOf(request).map((m, i) => {
    if (m.role === "system" || m.role === "developer") return { role: "system", content: textOf(m.content) };
    if (m.role === "tool" || m.role === "function") {
      return { role: "tool", tool_call_id: m.tool_call_id ?? "", content: [{ type: "text", text: textOf(m.content) }] };
    }
    const content = partsOf(m.content, i).map((p) =>
      p.kind === "text" ? { type: "text", text: p.text } : { type: "image_url", image_url: { url: p.url } },
    );
    if (m.role === "assistant") {
      const calls = toolCallsOf(m, i);
      const out: Record<string, unknown> = { role: "assistant" };
      if (content.length > 0) out.content = content;
      if (calls.length > 0) {
        out.tool_calls = calls.map((c) => ({
          id: c.id,
          type: "function",
          function: { name: c.name, arguments: JSON.stringify(c.args) },
        }));
      }
      return out;
    }
    return { role: "user", content };
  });
}

export function cohereRequestBody(request: ChatCompletionRequest, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { model: request.model, messages: cohereMessages(request), stream };
  const max = maxTokensOf(request);
  if (max !== null) body.max_tokens = max;
  copyNumberParams(request, body, {
    temperature: "temperature",
    top_p: "p",
    top_k: "k",
    seed: "seed",
    frequency_penalty: "frequency_penalty",
    presence_penalty: "presence_penalty",
  });
  const stop = stopOf(request);
  if (stop && stop.length > 0) body.stop_sequences = stop;
  const tools = toolsOf(request);
  if (tools.length > 0) {
    body.tools = tools.map((t) => ({
      type: "function",
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters },
    }));
  }
  const choice = toolChoiceOf(request);
  if (choice?.kind === "required" || choice?.kind === "tool") body.tool_choice = "REQUIRED";
  else if (choice?.kind === "none") body.tool_choice = "NONE";
  const json = jsonMode(request);
  if (json) body.response_format = { type: "json_object", ...(json.schema ? { json_schema: json.schema } : {}) };
  return body;
}

export function finishFromCohere(reason: unknown): FinishReason {
  if (reason === "MAX_TOKENS") return "length";
  if (reason === "TOOL_CALL") return "tool_calls";
  return "stop";
}

export function cohereError(status: number, body: Buffer): ErrorInfo {
  const json = parseJson(body) as { message?: unknown; id?: unknown } | null;
  return {
    message: upstreamMessage(json?.message, status, body),
    type: defaultErrorType(status),
    param: null,
    code: null,
  };
}

function headers(call: { target: UpstreamCall["target"] }): Record<string, string> {
  const h: Record<string, string> = { ...call.target.forwardHeaders, "content-type": "application/json" };
  if (call.target.apiKey) h.authorization = `Bearer ${call.target.apiKey}`;
  return h;
}
const base = (call: { target: UpstreamCall["target"] }) =>
  (call.target.customHost ?? COHERE_BASE_URL).replace(/\/+$/, "");

interface CohereMessage {
  content?: Array<{ type?: string; text?: string; thinking?: string }>;
  tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: string } }>;
}

async function* cohereChunks(body: AsyncIterable<Uint8Array>, call: UpstreamCall): AsyncGenerator<StreamChunk> {
  const builder = chunkBuilder("cohere", call);
  let tools = -1;
  yield builder.start();
  for await (const data of sseData(body)) {
    if (data === "[DONE]") continue;
    const event = parseJson(data) as { type?: string; delta?: Record<string, unknown> } | null;
    if (!event) throw new Error("upstream sent a malformed stream event");
    const message = (event.delta?.message ?? {}) as Record<string, unknown>;
    switch (event.type) {
      case "content-delta": {
        const content = message.content as { text?: string; thinking?: string } | undefined;
        if (content?.text) yield builder.text(content.text);
        else if (content?.thinking) {
          const chunk = builder.reasoning(content.thinking);
          if (chunk) yield chunk;
        }
        break;
      }
      case "tool-call-start": {
        const t = message.tool_calls as { id?: string; function?: { name?: string; arguments?: string } } | undefined;
        tools += 1;
        yield builder.toolCallStart(tools, t?.id ?? "", t?.function?.name ?? "", t?.function?.arguments ?? "");
        break;
      }
      case "tool-call-delta": {
        const t = message.tool_calls as { function?: { arguments?: string } } | undefined;
        if (t?.function?.arguments) yield builder.toolCallArgs(Math.max(tools, 0), t.function.arguments);
        break;
      }
      case "message-end": {
        const delta = event.delta as { finish_reason?: string; usage?: unknown; error?: string };
        if (delta.finish_reason === "ERROR") throw new Error(`upstream stream error: ${delta.error ?? "ERROR"}`);
        yield builder.finish(finishFromCohere(delta.finish_reason));
        const usage = usageFromCohere(delta.usage);
        if (usage) yield builder.usage(usage);
        return;
      }
      default:
        break; // message-start, content-start/end, tool-plan-delta, tool-call-end, citations
    }
  }
  throw new Error("upstream stream ended before message-end");
}

/** Cohere Chat API v2. */
export const cohereAdapter: ProviderAdapter = {
  upstreamUrl: (target) => target.customHost ?? COHERE_BASE_URL,
  id: "cohere",
  capabilities: {
    chat: true,
    streaming: true,
    tools: true,
    vision: true,
    image_urls: true,
    json_mode: true,
    embeddings: true,
    completions: false,
  },
  auth: { description: "Authorization: Bearer <key>", requiresKey: true },
  models: ["command-a-03-2025", "command-r-plus-08-2024", "command-r-08-2024", "embed-v4.0"],
  validateTarget: () => null,
  error: cohereError,
  chat: {
    request: (call, stream) => ({
      url: `${base(call)}/chat`,
      headers: headers(call),
      body: JSON.stringify(cohereRequestBody(call.request, stream)),
    }),
    response: (body, call) => {
      const json = parseJson(body) as {
        id?: string;
        finish_reason?: string;
        message?: CohereMessage;
        usage?: unknown;
      } | null;
      if (!json?.message) throw new Error("not a Cohere chat response");
      const texts = (json.message.content ?? []).filter((c) => c.type === "text").map((c) => c.text ?? "");
      const thinking = (json.message.content ?? []).filter((c) => c.type === "thinking").map((c) => c.thinking ?? "");
      const toolCalls: ReplyToolCall[] = (json.message.tool_calls ?? []).map((t) => ({
        id: t.id ?? "",
        name: t.function?.name ?? "",
        arguments: t.function?.arguments ?? "{}",
      }));
      const usage = usageFromCohere(json.usage);
      const reply = {
        id: json.id ?? completionId("cohere"),
        model: call.request.model,
        texts,
        toolCalls,
        reasoning: thinking.length > 0 ? { text: thinking.join("") } : null,
        finish: finishFromCohere(json.finish_reason),
      };
      return replyResponse(reply, usage, call);
    },
    stream: cohereChunks,
  },
  embeddings: {
    request: (call) => ({
      url: `${base(call)}/embed`,
      headers: headers(call),
      body: JSON.stringify({
        model: call.request.model,
        texts: Array.isArray(call.request.input) ? call.request.input.map(String) : [String(call.request.input)],
        input_type: (call.request.input_type as string | undefined) ?? "search_document",
        embedding_types: ["float"],
        ...(call.request.dimensions ? { output_dimension: call.request.dimensions } : {}),
      }),
    }),
    response: (body, call) => {
      const json = parseJson(body) as {
        embeddings?: { float?: number[][] };
        meta?: { billed_units?: { input_tokens?: number } };
      } | null;
      const vectors = json?.embeddings?.float;
      if (!Array.isArray(vectors)) throw new Error("not a Cohere embed response");
      const input = json?.meta?.billed_units?.input_tokens;
      const usage =
        typeof input === "number" ? usageFromCohere({ billed_units: { input_tokens: input, output_tokens: 0 } }) : null;
      return {
        body: {
          object: "list",
          data: vectors.map((embedding, index) => ({ object: "embedding", index, embedding })),
          model: call.request.model,
          usage: { prompt_tokens: input ?? 0, total_tokens: input ?? 0 },
        },
        usage,
        model: call.request.model,
        // An OpenAI embeddings list has neither an id nor finish reasons: known absent.
        responseId: "",
        finishReasons: [],
      };
    },
  },
};
