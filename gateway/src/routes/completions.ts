import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { GatewayError } from "../errors.ts";
import { type EndpointSpec, invalidBody, openAIStreamEncoder, streamReply } from "../pipeline/endpoint.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { jsonReply } from "../pipeline/reply.ts";
import type { Provider, TextCompletionRequest } from "../providers/provider.ts";
import { EndUser, ModelName } from "../schemas/limits.ts";
import { pipelineRoute } from "./pipeline-route.ts";

const CompletionsBody = z.looseObject({
  model: ModelName,
  prompt: z.union([z.string(), z.array(z.string()).min(1, "prompt must not be empty")]),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  user: EndUser.optional(),
});

const ENDPOINT = "/v1/completions";

/** POST /v1/completions: OpenAI's legacy text completions, for the providers that still offer them. */
export const completionsEndpoint: EndpointSpec<TextCompletionRequest> = {
  endpoint: ENDPOINT,
  operation: "text_completion",
  parse(body) {
    const parsed = CompletionsBody.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error.issues);
    return parsed.data as TextCompletionRequest;
  },
  describe: (req) => ({
    model: req.model,
    stream: req.stream === true,
    user: typeof req.user === "string" ? req.user : null,
  }),
  unsupported: (provider: Provider) =>
    provider.capabilities.completions && provider.completeText
      ? null
      : `provider ${provider.id} does not offer ${ENDPOINT} (use /v1/chat/completions)`,
  async call(provider, request, target, signal) {
    if (!provider.completeText || !provider.streamText) {
      throw new GatewayError("invalid_request", `provider ${provider.id} does not offer ${ENDPOINT}`);
    }
    const call = { request, target, signal };
    if (request.stream !== true) return jsonReply(await provider.completeText(call));
    return streamReply(await provider.streamText(call));
  },
  streamEncoder: (req) => openAIStreamEncoder(req.stream_options?.include_usage === true),
};

export function registerCompletions(app: FastifyInstance, pipeline: Pipeline): void {
  app.post(ENDPOINT, pipelineRoute(completionsEndpoint, pipeline));
}
