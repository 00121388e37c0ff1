import type { FastifyInstance } from "fastify";
import { type EndpointSpec, invalidBody, streamReply } from "../pipeline/endpoint.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { jsonReply } from "../pipeline/reply.ts";
import type { Provider } from "../providers/provider.ts";
import { parseJson } from "../providers/shared/errors.ts";
import type { ChatCompletionRequest } from "../schemas/chat.ts";
import { type NativeAndChat, unconvertibleResult, withOverrides } from "./native-and-chat.ts";
import { pipelineRoute } from "./pipeline-route.ts";
import { type ReasoningStyle, ResponsesInputError, ResponsesRequest, toChatRequest } from "./responses-convert.ts";
import { toResponse } from "./responses-output.ts";
import { registerStoredResponses } from "./responses-stored.ts";
import { responsesStreamEncoder } from "./responses-stream.ts";

export const RESPONSES_ENDPOINT = "/v1/responses";

/**
 * A /v1/responses request, kept both ways (as /v1/messages does): `native` is the client's body as
 * validated (unknown fields kept) for a provider that speaks the Responses API (`Provider.responses`:
 * openai, azure-openai, groq, xai), `chat` its conversion to the gateway's chat request for every
 * other provider — or why it cannot be converted (stored state, built-in tools): a non-native
 * attempt then answers that 400 without calling anyone, and a fallback to a native provider still
 * works. The router spreads the leaf's override_params over this object: `applied` moves them in.
 */
type ResponsesCall = NativeAndChat<ResponsesRequest, ResponsesInputError>;

const applied = (req: ResponsesCall): ResponsesCall => withOverrides(req);

/** How each provider asks for reasoning; those absent take no reasoning parameter at all. */
const REASONING: Partial<Record<string, ReasoningStyle>> = {
  anthropic: "anthropic-thinking",
  bedrock: "anthropic-thinking",
  google: "gemini-thinking",
  "vertex-ai": "gemini-thinking",
  openai: "effort",
  "azure-openai": "effort",
  groq: "effort",
  xai: "effort",
  openrouter: "effort",
  together: "effort",
  fireworks: "effort",
  deepseek: "effort",
  ollama: "effort",
  vllm: "effort",
  lmstudio: "effort",
};

function reasoningStyle(provider: Provider, model: string): ReasoningStyle | null {
  // Claude on Vertex takes Anthropic's thinking budget, Gemini its own.
  if (provider.id === "vertex-ai" && model.includes("claude")) return "anthropic-thinking";
  return REASONING[provider.id] ?? null;
}

/** The chat request for this provider: re-converted only when it reasons in another style. */
function chatFor(provider: Provider, req: ResponsesCall): ChatCompletionRequest | ResponsesInputError {
  const { native, chat } = req;
  if (chat instanceof ResponsesInputError || !native.reasoning?.effort) return chat;
  const style = reasoningStyle(provider, chat.model);
  if (style === "effort") return chat;
  const { reasoning_effort: _dropped, ...rest } = chat as ChatCompletionRequest & { reasoning_effort?: unknown };
  if (style === null) return rest as ChatCompletionRequest;
  const converted = toChatRequest({ ...native, model: chat.model }, style);
  return converted.success ? converted.data : rest;
}

/**
 * POST /v1/responses: OpenAI's Responses API on every provider, through the same pipeline as chat.
 * Native providers get the client's body and answer byte for byte; every other one goes through the
 * chat adapter and is answered as a `response` object, or as Responses SSE events.
 */
export const responsesEndpoint: EndpointSpec<ResponsesCall> = {
  endpoint: RESPONSES_ENDPOINT,
  operation: "chat",
  parse(body) {
    const parsed = ResponsesRequest.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error.issues);
    let chat: ReturnType<typeof toChatRequest>;
    try {
      chat = toChatRequest(parsed.data);
    } catch (error) {
      if (error instanceof ResponsesInputError) return { native: parsed.data, chat: error };
      throw error;
    }
    if (!chat.success) throw invalidBody(chat.error.issues);
    return { native: parsed.data, chat: chat.data };
  },
  describe(req) {
    const { native } = applied(req);
    return { model: native.model, stream: native.stream === true, user: native.user ?? null };
  },
  params: (req) => applied(req).native as Record<string, unknown>,
  unsupported: (provider) =>
    provider.capabilities.chat || provider.responses ? null : `provider ${provider.id} does not offer responses`,
  async call(provider, req, target, signal) {
    const call = applied(req);
    const native = call.native;
    if (provider.responses && provider.responsesStream) {
      const nativeCall = { body: native as Record<string, unknown>, target, signal };
      if (native.stream !== true) return jsonReply(await provider.responses(nativeCall));
      return streamReply(await provider.responsesStream(nativeCall));
    }
    const chat = chatFor(provider, call);
    if (chat instanceof ResponsesInputError) return jsonReply(unconvertibleResult(chat));
    const chatCall = { request: chat, target, signal };
    if (chat.stream !== true) return jsonReply(await provider.complete(chatCall));
    return streamReply(await provider.stream(chatCall));
  },
  renderJson(result, req) {
    // A native answer, and every error (OpenAI's error shape is the Responses API's too): as it is.
    if (result.passThrough || result.failure) {
      return { body: result.body, responseId: result.responseId, finishReasons: result.finishReasons };
    }
    const json = parseJson(result.body) as Record<string, unknown> | null;
    if (json === null) return { body: result.body, responseId: null, finishReasons: null };
    const response = toResponse(json, result.usage, applied(req).native, Math.floor(Date.now() / 1000));
    // Guardrail results the attempt added to the chat answer travel on with the Response (Portkey's field).
    const rendered = json.hook_results === undefined ? response : { ...response, hook_results: json.hook_results };
    return {
      body: Buffer.from(JSON.stringify(rendered)),
      responseId: response.id as string,
      finishReasons: [response.status as string],
    };
  },
  streamEncoder: (req) => responsesStreamEncoder(applied(req).native),
};

export function registerResponses(app: FastifyInstance, pipeline: Pipeline): void {
  app.post(RESPONSES_ENDPOINT, pipelineRoute(responsesEndpoint, pipeline));
  registerStoredResponses(app, pipeline);
}
