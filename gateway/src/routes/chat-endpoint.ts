import type { Provider } from "../providers/provider.ts";
import { ChatCompletionRequest } from "../schemas/chat.ts";
import { invalidBody, jsonValue, openAIStreamEncoder, type RoutedEndpoint } from "./routed-request.ts";

export const CHAT_ENDPOINT = "/v1/chat/completions";

/** POST /v1/chat/completions on the shared routed pipeline: OpenAI chat, JSON or SSE, any provider. */
export const chatEndpoint: RoutedEndpoint<ChatCompletionRequest> = {
  endpoint: CHAT_ENDPOINT,
  operation: "chat",
  parse(body) {
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
  async call(provider, request, target, signal) {
    const call = { request, target, signal };
    if (request.stream !== true) return jsonValue(await provider.complete(call));
    const opened = await provider.stream(call);
    if (!opened.ok) return jsonValue(opened.result);
    return { kind: "stream", status: opened.status, headers: opened.headers, chunks: opened.chunks };
  },
  streamEncoder: (req) => openAIStreamEncoder(req.stream_options?.include_usage === true),
};
