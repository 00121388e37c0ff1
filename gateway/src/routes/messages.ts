import type { FastifyInstance } from "fastify";
import { headerValue } from "../http/portkey-headers.ts";
import { type EndpointSpec, invalidBody, streamReply } from "../pipeline/endpoint.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { jsonReply } from "../pipeline/reply.ts";
import { parseJson } from "../providers/shared/errors.ts";
import {
  anthropicError,
  MessagesInputError,
  MessagesRequest,
  toAnthropicMessage,
  toChatRequest,
} from "./messages-convert.ts";
import { anthropicStreamEncoder } from "./messages-stream.ts";
import { type NativeAndChat, unconvertibleResult, withOverrides } from "./native-and-chat.ts";
import { pipelineRoute } from "./pipeline-route.ts";

const ENDPOINT = "/v1/messages";

/**
 * A /v1/messages request, kept both ways: `native` is the client's Anthropic body as validated
 * (unknown fields kept) for a provider that speaks the Messages API itself (`Provider.messages`:
 * Anthropic), `chat` the same as the gateway's chat request for every other provider. A request
 * only Anthropic can take (a document block, say) has, as `chat`, why it cannot be converted: a
 * non-native attempt answers that 400 without calling anyone (a fallback to Anthropic still works).
 * The router spreads the leaf's override_params over this object: `applied` moves them into both.
 */
type MessagesCall = NativeAndChat<MessagesRequest, MessagesInputError>;

const applied = (req: MessagesCall): MessagesCall => withOverrides(req);

/**
 * POST /v1/messages: the Anthropic Messages API, routed to ANY provider through the same
 * pipeline as chat (configs, virtual keys, fallback, retries), answered in Anthropic's format —
 * JSON or Anthropic SSE — so the unmodified Anthropic SDK works. Errors are Anthropic-shaped too.
 * An attempt to a provider that speaks the Messages API (Anthropic) is a native pass-through: the
 * client's body goes up as it is and Anthropic's answer comes back byte for byte (its facts read
 * beside it); every other provider goes through the OpenAI conversion (messages-convert.ts).
 * Anthropic clients authenticate with x-api-key: it is taken as the provider key when no virtual
 * key or config supplies one (the gateway key still goes in x-portkey-api-key).
 */
export const messagesEndpoint: EndpointSpec<MessagesCall> = {
  endpoint: ENDPOINT,
  operation: "chat",
  parse(body) {
    const parsed = MessagesRequest.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error.issues);
    let chat: ReturnType<typeof toChatRequest>;
    try {
      chat = toChatRequest(parsed.data);
    } catch (error) {
      if (error instanceof MessagesInputError) return { native: parsed.data, chat: error };
      throw error;
    }
    if (!chat.success) throw invalidBody(chat.error.issues);
    return { native: parsed.data, chat: chat.data };
  },
  describe(req) {
    const { native } = applied(req);
    return { model: native.model, stream: native.stream === true, user: native.metadata?.user_id || null };
  },
  // Routing conditions and the span read the Anthropic body the client sent.
  params: (req) => applied(req).native as Record<string, unknown>,
  unsupported: (provider) => (provider.capabilities.chat ? null : `provider ${provider.id} does not offer chat`),
  // Thinking blocks are part of Anthropic's format, so the provider may send them; the client's
  // anthropic-beta header (prompt caching, tools betas…) reaches Anthropic unless the target sets one.
  target(target, headers) {
    const beta = headerValue(headers, "anthropic-beta")?.trim();
    const providerFields =
      beta && !target.providerFields.anthropic_beta
        ? { ...target.providerFields, anthropic_beta: beta }
        : target.providerFields;
    return { ...target, providerFields, strictOpenAICompliance: false };
  },
  async call(provider, req, target, signal) {
    const { native, chat } = applied(req);
    if (provider.messages && provider.messagesStream) {
      const call = { body: native as Record<string, unknown>, target, signal };
      if (native.stream !== true) return jsonReply(await provider.messages(call));
      return streamReply(await provider.messagesStream(call));
    }
    if (chat instanceof MessagesInputError) return jsonReply(unconvertibleResult(chat));
    const call = { request: chat, target, signal };
    if (chat.stream !== true) return jsonReply(await provider.complete(call));
    return streamReply(await provider.stream(call));
  },
  renderJson(result, req) {
    // Anthropic's own answer (a native call), success or error: byte for byte, with its own facts.
    if (result.passThrough) {
      return { body: result.body, responseId: result.responseId, finishReasons: result.finishReasons };
    }
    const json = parseJson(result.body) as Record<string, unknown> | null;
    if (result.failure || json === null) {
      const error = (json?.error ?? {}) as { type?: string; message?: string };
      const rendered = anthropicError(
        error.type ?? result.failure?.type ?? "api_error",
        error.message ?? result.failure?.message ?? "upstream error",
      );
      // A guardrail's 446 says which check denied, as on every endpoint.
      const body = json?.hook_results === undefined ? rendered : { ...rendered, hook_results: json.hook_results };
      return { body: Buffer.from(JSON.stringify(body)), responseId: null, finishReasons: null };
    }
    const message = toAnthropicMessage(json, result.usage, applied(req).native.model);
    // Guardrail results the attempt added to the chat answer travel on with the message (Portkey's field).
    const rendered = json.hook_results === undefined ? message : { ...message, hook_results: json.hook_results };
    // The span reports the id and stop reason the client got (msg_…, end_turn), as it did reading this body.
    return {
      body: Buffer.from(JSON.stringify(rendered)),
      responseId: message.id as string,
      finishReasons: [message.stop_reason as string],
    };
  },
  renderError: (error) => anthropicError(error.type, error.message),
  streamEncoder: (req) => anthropicStreamEncoder(applied(req).native.model),
  apiKeyHeader: "x-api-key",
};

export function registerMessages(app: FastifyInstance, pipeline: Pipeline): void {
  app.post(ENDPOINT, pipelineRoute(messagesEndpoint, pipeline));
}
