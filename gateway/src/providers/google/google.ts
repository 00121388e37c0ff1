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
  systemText,
  textOf,
  toolCallsOf,
  toolChoiceOf,
  toolsOf,
} from "../shared/openai-request.ts";
import { type ReplyToolCall, replyResponse } from "../shared/openai-response.ts";
import { sseData } from "../shared/sse.ts";
import { TurnList } from "../shared/turns.ts";
import { geminiSchema } from "./schema.ts";
import { usageFromGemini } from "./usage.ts";

export const GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta";

type GPart = Record<string, unknown>;

function parseToolResult(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    return { content: value };
  } catch {
    return { content: text };
  }
}

/** OpenAI messages → Gemini contents (roles user/model; tool results as functionResponse parts). */
export function geminiContents(request: ChatCompletionRequest): Array<{ role: string; parts: GPart[] }> {
  const turns = new TurnList<GPart>();
  const toolNames = new Map<string, string>();
  messagesOf(request).forEach((m, i) => {
    if (m.role === "system" || m.role === "developer") return;
    if (m.role === "tool" || m.role === "function") {
      const name = toolNames.get(m.tool_call_id ?? "") ?? m.name ?? "tool";
      turns.push("user", [{ functionResponse: { name, response: parseToolResult(textOf(m.content)) } }]);
      return;
    }
    const parts: GPart[] = partsOf(m.content, i).map((p) =>
      p.kind === "text" ? { text: p.text } : { inlineData: { mimeType: p.data?.mediaType, data: p.data?.data } },
    );
    if (m.role === "assistant") {
      for (const call of toolCallsOf(m, i)) {
        toolNames.set(call.id, call.name);
        parts.push({ functionCall: { name: call.name, args: call.args } });
      }
      turns.push("model", parts);
      return;
    }
    turns.push("user", parts);
  });
  return turns.turns.map((t) => ({ role: t.role, parts: t.items }));
}

export function geminiRequestBody(request: ChatCompletionRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { contents: geminiContents(request) };
  const system = systemText(request);
  if (system) body.systemInstruction = { parts: [{ text: system }] };
  const generation: Record<string, unknown> = {};
  const max = maxTokensOf(request);
  if (max !== null) generation.maxOutputTokens = max;
  copyNumberParams(request, generation, {
    temperature: "temperature",
    top_p: "topP",
    top_k: "topK",
    seed: "seed",
    presence_penalty: "presencePenalty",
    frequency_penalty: "frequencyPenalty",
  });
  const stop = stopOf(request);
  if (stop && stop.length > 0) generation.stopSequences = stop;
  const json = jsonMode(request);
  if (json) {
    generation.responseMimeType = "application/json";
    if (json.schema) generation.responseSchema = geminiSchema(json.schema);
  }
  // A thinking budget from /v1/responses' reasoning.effort (responses-convert.ts).
  const budget = (request as { thinking_budget?: unknown }).thinking_budget;
  if (typeof budget === "number") generation.thinkingConfig = { thinkingBudget: budget };
  if (Object.keys(generation).length > 0) body.generationConfig = generation;
  const tools = toolsOf(request);
  if (tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: tools.map((t) => ({
          name: t.name,
          ...(t.description ? { description: t.description } : {}),
          parameters: geminiSchema(t.parameters),
        })),
      },
    ];
  }
  const choice = toolChoiceOf(request);
  if (choice) {
    const mode = { auto: "AUTO", none: "NONE", required: "ANY", tool: "ANY" }[choice.kind];
    body.toolConfig = {
      functionCallingConfig: { mode, ...(choice.kind === "tool" ? { allowedFunctionNames: [choice.name] } : {}) },
    };
  }
  return body;
}

const SAFETY = new Set(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE"]);

export function finishFromGemini(reason: unknown, hasToolCalls: boolean): FinishReason {
  if (typeof reason === "string" && SAFETY.has(reason)) return "content_filter";
  if (reason === "MAX_TOKENS") return "length";
  return hasToolCalls ? "tool_calls" : "stop";
}

interface Candidate {
  content?: {
    parts?: Array<{ text?: string; thought?: boolean; functionCall?: { name?: string; args?: unknown; id?: string } }>;
  };
  finishReason?: string;
}
interface GeminiResponse {
  candidates?: Candidate[];
  usageMetadata?: unknown;
  modelVersion?: string;
  responseId?: string;
  promptFeedback?: { blockReason?: string };
}

function headers(call: { target: UpstreamCall["target"] }): Record<string, string> {
  const h: Record<string, string> = { ...call.target.forwardHeaders, "content-type": "application/json" };
  if (call.target.apiKey) h["x-goog-api-key"] = call.target.apiKey;
  return h;
}

const base = (call: { target: UpstreamCall["target"] }) =>
  (call.target.customHost ?? GEMINI_BASE_URL).replace(/\/+$/, "");
const modelPath = (model: string) => (model.startsWith("models/") ? model : `models/${model}`);

/** Google's `{error: {code, message, status}}` → OpenAI error fields; `status` (INVALID_ARGUMENT...) becomes the code. */
export function geminiError(status: number, body: Buffer): ErrorInfo {
  const json = parseJson(body) as
    | { error?: { message?: unknown; status?: unknown } }
    | Array<{ error?: { message?: unknown; status?: unknown } }>
    | null;
  const e = Array.isArray(json) ? json[0]?.error : json?.error;
  return {
    message: upstreamMessage(e?.message, status, body),
    type: defaultErrorType(status),
    param: null,
    code: typeof e?.status === "string" ? e.status : null,
  };
}

async function* geminiChunks(body: AsyncIterable<Uint8Array>, call: UpstreamCall): AsyncGenerator<StreamChunk> {
  const builder = chunkBuilder("gemini", call);
  let tools = 0;
  let finished = false;
  let usage: unknown = null;
  yield builder.start();
  for await (const data of sseData(body)) {
    const event = parseJson(data) as (GeminiResponse & { error?: unknown }) | null;
    if (!event) throw new Error("upstream sent a malformed stream event");
    if (event.error) throw new Error(`upstream stream error: ${JSON.stringify(event.error)}`);
    if (event.modelVersion) builder.model = event.modelVersion;
    if (event.usageMetadata) usage = event.usageMetadata;
    const candidate = event.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      if (part.functionCall) {
        const index = tools++;
        yield builder.toolCallStart(
          index,
          part.functionCall.id ?? `call_${index}`,
          part.functionCall.name ?? "",
          JSON.stringify(part.functionCall.args ?? {}),
        );
      } else if (typeof part.text === "string" && part.text.length > 0) {
        if (part.thought) {
          const chunk = builder.reasoning(part.text);
          if (chunk) yield chunk;
        } else yield builder.text(part.text);
      }
    }
    const blocked = event.promptFeedback?.blockReason;
    if (candidate?.finishReason || blocked) {
      finished = true;
      yield builder.finish(blocked ? "content_filter" : finishFromGemini(candidate?.finishReason, tools > 0));
    }
  }
  // Gemini's stream has no terminator: the last event carries finishReason; without one it was cut.
  if (!finished) throw new Error("upstream stream ended before a finishReason");
  const final = usageFromGemini(usage);
  if (final) yield builder.usage(final);
}

/** Google Gemini API (generateContent / streamGenerateContent?alt=sse). */
export const googleAdapter: ProviderAdapter = {
  upstreamUrl: (target) => target.customHost ?? GEMINI_BASE_URL,
  id: "google",
  capabilities: {
    chat: true,
    streaming: true,
    tools: true,
    vision: true,
    // Gemini fetches only its own file URIs: images go inline as base64.
    image_urls: false,
    json_mode: true,
    embeddings: true,
    completions: false,
  },
  auth: { description: "x-goog-api-key: <key> (Gemini API key)", requiresKey: true },
  models: ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.0-flash", "text-embedding-004"],
  validateTarget: () => null,
  error: geminiError,
  chat: {
    request: (call, stream) => ({
      url: `${base(call)}/${modelPath(call.request.model)}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`,
      headers: headers(call),
      body: JSON.stringify(geminiRequestBody(call.request)),
    }),
    response: (body, call) => {
      const json = parseJson(body) as GeminiResponse | null;
      if (!json || typeof json !== "object") throw new Error("not a Gemini response");
      const candidate = json.candidates?.[0];
      const texts: string[] = [];
      const thoughts: string[] = [];
      const toolCalls: ReplyToolCall[] = [];
      for (const part of candidate?.content?.parts ?? []) {
        if (part.functionCall) {
          toolCalls.push({
            id: part.functionCall.id ?? `call_${toolCalls.length}`,
            name: part.functionCall.name ?? "",
            arguments: JSON.stringify(part.functionCall.args ?? {}),
          });
        } else if (typeof part.text === "string") (part.thought ? thoughts : texts).push(part.text);
      }
      const usage = usageFromGemini(json.usageMetadata);
      const blocked = json.promptFeedback?.blockReason;
      const reply = {
        id: json.responseId ?? completionId("gemini"),
        model: json.modelVersion ?? call.request.model,
        texts,
        toolCalls,
        reasoning: thoughts.length > 0 ? { text: thoughts.join("") } : null,
        finish: blocked ? ("content_filter" as const) : finishFromGemini(candidate?.finishReason, toolCalls.length > 0),
      };
      return replyResponse(reply, usage, call);
    },
    stream: geminiChunks,
  },
  embeddings: {
    request: (call) => {
      const inputs = Array.isArray(call.request.input) ? call.request.input : [call.request.input];
      const model = modelPath(call.request.model);
      const dimensions = call.request.dimensions;
      return {
        url: `${base(call)}/${model}:batchEmbedContents`,
        headers: headers(call),
        body: JSON.stringify({
          requests: inputs.map((text) => ({
            model,
            content: { parts: [{ text: String(text) }] },
            ...(dimensions ? { outputDimensionality: dimensions } : {}),
          })),
        }),
      };
    },
    response: (body, call) => {
      const json = parseJson(body) as { embeddings?: Array<{ values?: number[] }> } | null;
      if (!json || !Array.isArray(json.embeddings)) throw new Error("not a Gemini embeddings response");
      return {
        body: {
          object: "list",
          data: json.embeddings.map((e, index) => ({ object: "embedding", index, embedding: e.values ?? [] })),
          model: call.request.model,
          usage: { prompt_tokens: 0, total_tokens: 0 },
        },
        usage: null,
        model: call.request.model,
        // An OpenAI embeddings list has neither an id nor finish reasons: known absent.
        responseId: "",
        finishReasons: [],
      };
    },
  },
};
