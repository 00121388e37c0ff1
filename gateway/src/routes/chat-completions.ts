import type { FastifyInstance } from "fastify";
import { type EndpointSpec, invalidBody, openAIStreamEncoder, streamReply } from "../pipeline/endpoint.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { jsonReply } from "../pipeline/reply.ts";
import type { Provider } from "../providers/provider.ts";
import { ChatCompletionRequest } from "../schemas/chat.ts";
import { acceptsChatRequest } from "../schemas/chat-fast-path.ts";
import { pipelineRoute } from "./pipeline-route.ts";

export const CHAT_ENDPOINT = "/v1/chat/completions";

/** POST /v1/chat/completions on the pipeline: OpenAI chat, JSON or SSE, any provider. */
export const chatEndpoint: EndpointSpec<ChatCompletionRequest> = {
  endpoint: CHAT_ENDPOINT,
  operation: "chat",
  parse(body) {
    // The common request is checked without zod's pass and copy (schemas/chat-fast-path.ts).
    if (acceptsChatRequest(body)) return body;
    const parsed = ChatCompletionRequest.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error.issues);
    return parsed.data;
  },
  describe: (req) => ({
    model: req.model,
    stream: req.stream === true,
    user: req.user ?? null,
  }),
  unsupported: (provider: Provider) =>
    provider.capabilities.chat ? null : `provider ${provider.id} does not offer ${CHAT_ENDPOINT}`,
  call(provider, request, target, signal) {
    const call = { request, target, signal };
    // .then rather than async/await: a promise less per attempt (the route's attempt runs inside an async function).
    if (request.stream !== true) return provider.complete(call).then(jsonReply);
    return provider.stream(call).then(streamReply);
  },
  streamEncoder: (req) => openAIStreamEncoder(req.stream_options?.include_usage === true),
};

export function registerChatCompletions(app: FastifyInstance, pipeline: Pipeline): void {
  app.post(CHAT_ENDPOINT, pipelineRoute(chatEndpoint, pipeline));
}
