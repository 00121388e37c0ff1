import type { FastifyInstance } from "fastify";
import { GatewayError } from "../errors.ts";
import { type EndpointSpec, invalidBody, streamReply } from "../pipeline/endpoint.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { jsonReply } from "../pipeline/reply.ts";
import { parseJson } from "../providers/adapter.ts";
import type { ChatCompletionRequest } from "../schemas/chat.ts";
import {
  anthropicError,
  anthropicStreamEncoder,
  MessagesInputError,
  MessagesRequest,
  toAnthropicMessage,
  toChatRequest,
} from "./messages-convert.ts";
import { pipelineRoute } from "./pipeline-route.ts";

const ENDPOINT = "/v1/messages";

interface MessagesCall {
  chat: ChatCompletionRequest;
}

/**
 * POST /v1/messages: the Anthropic Messages API, routed to ANY provider through the same
 * pipeline as chat (configs, virtual keys, fallback, retries), answered in Anthropic's format —
 * JSON or Anthropic SSE — so the unmodified Anthropic SDK works. Errors are Anthropic-shaped too.
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
      if (error instanceof MessagesInputError) throw new GatewayError("invalid_request", error.message, error.param);
      throw error;
    }
    if (!chat.success) throw invalidBody(chat.error.issues);
    return { chat: chat.data };
  },
  describe: ({ chat }) => ({
    model: chat.model,
    stream: chat.stream === true,
    user: chat.user ?? null,
  }),
  unsupported: (provider) => (provider.capabilities.chat ? null : `provider ${provider.id} does not offer chat`),
  // Thinking blocks are part of Anthropic's format, so the provider may send them.
  target: (target) => ({ ...target, strictOpenAICompliance: false }),
  async call(provider, { chat }, target, signal) {
    const call = { request: chat, target, signal };
    if (chat.stream !== true) return jsonReply(await provider.complete(call));
    return streamReply(await provider.stream(call));
  },
  renderJson(result, { chat }) {
    const json = parseJson(result.body) as Record<string, unknown> | null;
    if (result.failure || json === null) {
      const error = (json?.error ?? {}) as { type?: string; message?: string };
      const rendered = anthropicError(
        error.type ?? result.failure?.type ?? "api_error",
        error.message ?? result.failure?.message ?? "upstream error",
      );
      return { body: Buffer.from(JSON.stringify(rendered)), responseId: null, finishReasons: null };
    }
    const message = toAnthropicMessage(json, result.usage, chat.model);
    // The span reports the id and stop reason the client got (msg_…, end_turn), as it did reading this body.
    return {
      body: Buffer.from(JSON.stringify(message)),
      responseId: message.id as string,
      finishReasons: [message.stop_reason as string],
    };
  },
  renderError: (error) => anthropicError(error.type, error.message),
  streamEncoder: ({ chat }) => anthropicStreamEncoder(chat.model),
  apiKeyHeader: "x-api-key",
};

export function registerMessages(app: FastifyInstance, pipeline: Pipeline): void {
  app.post(ENDPOINT, pipelineRoute(messagesEndpoint, pipeline));
}
