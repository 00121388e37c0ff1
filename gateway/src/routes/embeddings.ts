import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { GatewayError } from "../errors.ts";
import { type EndpointSpec, invalidBody, openAIStreamEncoder } from "../pipeline/endpoint.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { jsonReply } from "../pipeline/reply.ts";
import type { EmbeddingsRequest, Provider } from "../providers/provider.ts";
import { EndUser, ModelName } from "../schemas/limits.ts";
import { pipelineRoute } from "./pipeline-route.ts";

const EmbeddingsBody = z.looseObject({
  model: ModelName,
  input: z.union([
    z.string(),
    z.array(z.string()).min(1, "input must not be empty"),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int())).min(1),
  ]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().positive().optional(),
  user: EndUser.optional(),
});

const ENDPOINT = "/v1/embeddings";

/** POST /v1/embeddings: OpenAI's embeddings API, routed to any provider that offers embeddings. */
export const embeddingsEndpoint: EndpointSpec<EmbeddingsRequest> = {
  endpoint: ENDPOINT,
  operation: "embeddings",
  parse(body) {
    const parsed = EmbeddingsBody.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error.issues);
    return parsed.data as EmbeddingsRequest;
  },
  describe: (req) => ({ model: req.model, stream: false, user: req.user ?? null }),
  unsupported: (provider: Provider) =>
    provider.capabilities.embeddings && provider.embed ? null : `provider ${provider.id} does not offer ${ENDPOINT}`,
  async call(provider, request, target, signal) {
    if (!provider.embed)
      throw new GatewayError("invalid_request", `provider ${provider.id} does not offer ${ENDPOINT}`);
    return jsonReply(await provider.embed({ request, target, signal }));
  },
  streamEncoder: () => openAIStreamEncoder(false),
};

export function registerEmbeddings(app: FastifyInstance, pipeline: Pipeline): void {
  app.post(ENDPOINT, pipelineRoute(embeddingsEndpoint, pipeline));
}
