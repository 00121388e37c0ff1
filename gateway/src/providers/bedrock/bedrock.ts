import { getChunkedStream } from "@smithy/core/event-streams";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import type { ChatCompletionRequest } from "../../schemas/chat.ts";
import { defaultErrorType, type ErrorInfo, type ProviderAdapter, parseJson, type RawHeaders } from "../adapter.ts";
import type { ProviderTarget, StreamChunk, TargetIssue, UpstreamCall } from "../provider.ts";
import { chunkBuilder, completionId, type FinishReason } from "../shared/chunks.ts";
import { upstreamMessage } from "../shared/errors.ts";
import {
  copyNumberParams,
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
import { RequestRejected } from "../shared/rejected.ts";
import { TurnList } from "../shared/turns.ts";
import { signedRequest } from "./signing.ts";
import { usageFromBedrock } from "./usage.ts";

type Block = Record<string, unknown>;

const IMAGE_FORMATS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

/** OpenAI messages → Converse messages (tool results as user toolResult blocks; images as bytes). */
export function converseMessages(request: ChatCompletionRequest): Array<{ role: string; content: Block[] }> {
  const turns = new TurnList<Block>();
  messagesOf(request).forEach((m, i) => {
    if (m.role === "system" || m.role === "developer") return;
    if (m.role === "tool" || m.role === "function") {
      turns.push("user", [{ toolResult: { toolUseId: m.tool_call_id ?? "", content: [{ text: textOf(m.content) }] } }]);
      return;
    }
    const blocks: Block[] = partsOf(m.content, i).map((p) => {
      if (p.kind === "text") return { text: p.text };
      const format = p.data ? IMAGE_FORMATS[p.data.mediaType] : undefined;
      if (!p.data || !format) {
        throw new RequestRejected(
          "bedrock takes images as base64 data: URLs of png, jpeg, gif or webp",
          p.param,
          "unsupported_image_url",
        );
      }
      return { image: { format, source: { bytes: p.data.data } } };
    });
    if (m.role === "assistant") {
      for (const call of toolCallsOf(m, i))
        blocks.push({ toolUse: { toolUseId: call.id, name: call.name, input: call.args } });
      turns.push("assistant", blocks);
      return;
    }
    turns.push("user", blocks);
  });
  return turns.turns.map((t) => ({ role: t.role, content: t.items }));
}

export function converseRequestBody(request: ChatCompletionRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { messages: converseMessages(request) };
  // Converse has no JSON-mode switch: it is asked for in the system prompt.
  const system = systemText(request, true);
  if (system) body.system = [{ text: system }];
  const inference: Record<string, unknown> = {};
  const max = maxTokensOf(request);
  if (max !== null) inference.maxTokens = max;
  copyNumberParams(request, inference, { temperature: "temperature", top_p: "topP" });
  const stop = stopOf(request);
  if (stop && stop.length > 0) inference.stopSequences = stop;
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  // Claude's extended thinking (from /v1/messages, or /v1/responses' reasoning.effort) is a model field.
  const thinking = (request as { thinking?: unknown }).thinking;
  if (thinking !== undefined) body.additionalModelRequestFields = { thinking };
  const tools = toolsOf(request);
  if (tools.length > 0) {
    const config: Record<string, unknown> = {
      tools: tools.map((t) => ({
        toolSpec: {
          name: t.name,
          ...(t.description ? { description: t.description } : {}),
          inputSchema: { json: t.parameters },
        },
      })),
    };
    const choice = toolChoiceOf(request);
    if (choice?.kind === "auto") config.toolChoice = { auto: {} };
    else if (choice?.kind === "required") config.toolChoice = { any: {} };
    else if (choice?.kind === "tool") config.toolChoice = { tool: { name: choice.name } };
    body.toolConfig = config;
  }
  return body;
}

export function finishFromBedrock(reason: unknown): FinishReason {
  if (reason === "max_tokens" || reason === "model_context_window_exceeded") return "length";
  if (reason === "tool_use") return "tool_calls";
  if (reason === "guardrail_intervened" || reason === "content_filtered") return "content_filter";
  return "stop";
}

const regionOf = (t: ProviderTarget) => t.providerFields.aws_region;

function endpoint(target: ProviderTarget): string {
  return (target.customHost ?? `https://bedrock-runtime.${regionOf(target)}.amazonaws.com`).replace(/\/+$/, "");
}

/** Bedrock errors: `{message}` body, the exception name in x-amzn-errortype (code). */
export function bedrockError(status: number, body: Buffer, headers: RawHeaders = {}): ErrorInfo {
  const json = parseJson(body) as { message?: unknown; Message?: unknown } | null;
  const raw = headers["x-amzn-errortype"];
  const errorType = (Array.isArray(raw) ? raw[0] : raw)?.split(":")[0] ?? null;
  return {
    message: upstreamMessage(json?.message ?? json?.Message, status, body),
    type: defaultErrorType(status),
    param: null,
    code: errorType,
  };
}

interface ConverseOutput {
  output?: { message?: { content?: Array<Record<string, unknown>> } };
  stopReason?: string;
  usage?: unknown;
}

async function* converseChunks(body: AsyncIterable<Uint8Array>, call: UpstreamCall): AsyncGenerator<StreamChunk> {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const builder = chunkBuilder("bedrock", call);
  const toolIndex = new Map<number, number>();
  let tools = 0;
  let stopped = false;
  let usage: ReturnType<typeof usageFromBedrock> = null;
  yield builder.start();
  for await (const frame of getChunkedStream(body)) {
    const message = codec.decode(frame);
    const kind = message.headers[":message-type"]?.value;
    const payload = parseJson(toUtf8(message.body)) as Record<string, unknown> | null;
    if (kind !== "event") {
      const name = message.headers[":exception-type"]?.value ?? message.headers[":error-code"]?.value ?? "error";
      throw new Error(`upstream stream error: ${String(name)}: ${String(payload?.message ?? "")}`);
    }
    const event = message.headers[":event-type"]?.value;
    if (payload === null) throw new Error("upstream sent a malformed stream event");
    if (event === "contentBlockStart") {
      const toolUse = (payload.start as { toolUse?: { toolUseId?: string; name?: string } } | undefined)?.toolUse;
      if (toolUse) {
        const index = tools++;
        toolIndex.set(payload.contentBlockIndex as number, index);
        yield builder.toolCallStart(index, toolUse.toolUseId ?? "", toolUse.name ?? "");
      }
    } else if (event === "contentBlockDelta") {
      const delta = payload.delta as {
        text?: string;
        toolUse?: { input?: string };
        reasoningContent?: { text?: string; signature?: string };
      };
      if (typeof delta.text === "string" && delta.text.length > 0) yield builder.text(delta.text);
      else if (delta.toolUse?.input) {
        yield builder.toolCallArgs(toolIndex.get(payload.contentBlockIndex as number) ?? 0, delta.toolUse.input);
      } else if (delta.reasoningContent) {
        const chunk = builder.reasoning(delta.reasoningContent.text ?? "", delta.reasoningContent.signature);
        if (chunk) yield chunk;
      }
    } else if (event === "messageStop") {
      stopped = true;
      yield builder.finish(finishFromBedrock(payload.stopReason));
    } else if (event === "metadata") {
      usage = usageFromBedrock(payload.usage);
    }
  }
  if (!stopped) throw new Error("upstream stream ended before messageStop");
  if (usage) yield builder.usage(usage);
}

const converseUrl = (call: UpstreamCall, stream: boolean) =>
  `${endpoint(call.target)}/model/${encodeURIComponent(call.request.model)}/${stream ? "converse-stream" : "converse"}`;

/** Amazon Bedrock Converse / ConverseStream. */
export const bedrockAdapter: ProviderAdapter = {
  upstreamUrl: (target) => endpoint(target),
  id: "bedrock",
  capabilities: {
    chat: true,
    streaming: true,
    tools: true,
    vision: true,
    image_urls: false,
    json_mode: true,
    embeddings: false,
    completions: false,
  },
  auth: {
    description:
      "SigV4 from aws_access_key_id + aws_secret_access_key (+ aws_session_token), or a Bedrock API key as Bearer; aws_region",
    requiresKey: true,
  },
  models: [
    "anthropic.claude-3-5-haiku-20241022-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "amazon.nova-pro-v1:0",
    "meta.llama3-1-70b-instruct-v1:0",
  ],
  validateTarget: (target): TargetIssue | null => {
    if (!regionOf(target)) return { field: "aws_region", message: "bedrock needs aws_region (e.g. us-east-1)" };
    const f = target.providerFields;
    if (!target.apiKey && !(f.aws_access_key_id && f.aws_secret_access_key)) {
      return {
        field: "aws_access_key_id",
        message: "bedrock needs aws_access_key_id and aws_secret_access_key, or a Bedrock API key",
      };
    }
    return null;
  },
  error: bedrockError,
  chat: {
    request: (call, stream) =>
      signedRequest(call.target, converseUrl(call, stream), JSON.stringify(converseRequestBody(call.request))),
    response: (body, call) => {
      const json = parseJson(body) as ConverseOutput | null;
      const content = json?.output?.message?.content;
      if (!json || !Array.isArray(content)) throw new Error("not a Converse response");
      const texts: string[] = [];
      const toolCalls: ReplyToolCall[] = [];
      let reasoning: { text: string; signature?: string } | null = null;
      for (const block of content) {
        if (typeof block.text === "string") texts.push(block.text);
        const toolUse = block.toolUse as { toolUseId?: string; name?: string; input?: unknown } | undefined;
        if (toolUse) {
          toolCalls.push({
            id: toolUse.toolUseId ?? "",
            name: toolUse.name ?? "",
            arguments: JSON.stringify(toolUse.input ?? {}),
          });
        }
        const r = (block.reasoningContent as { reasoningText?: { text?: string; signature?: string } } | undefined)
          ?.reasoningText;
        if (r) reasoning = { text: r.text ?? "", ...(r.signature ? { signature: r.signature } : {}) };
      }
      const usage = usageFromBedrock(json.usage);
      const reply = {
        id: completionId("bedrock"),
        model: call.request.model,
        texts,
        toolCalls,
        reasoning,
        finish: finishFromBedrock(json.stopReason),
      };
      return replyResponse(reply, usage, call);
    },
    stream: converseChunks,
  },
};
