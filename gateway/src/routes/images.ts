import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { type EndpointSpec, invalidBody, openAIStreamEncoder } from "../pipeline/endpoint.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { jsonReply } from "../pipeline/reply.ts";
import { EndUser, ModelName } from "../schemas/limits.ts";
import { pipelineRoute } from "./pipeline-route.ts";

export const IMAGES_ENDPOINT = "/v1/images/generations";

/** The sizes each known image model offers; a model not listed here is not checked (the host decides). */
export const IMAGE_SIZES: Readonly<Record<string, readonly string[]>> = {
  "dall-e-2": ["256x256", "512x512", "1024x1024"],
  "dall-e-3": ["1024x1024", "1792x1024", "1024x1792"],
  "gpt-image-1": ["auto", "1024x1024", "1536x1024", "1024x1536"],
  "gpt-image-1-mini": ["auto", "1024x1024", "1536x1024", "1024x1536"],
  "gpt-image-1.5": ["auto", "1024x1024", "1536x1024", "1024x1536"],
};

const ImagesRequest = z
  .looseObject({
    // OpenAI's default when the field is absent.
    model: ModelName.default("dall-e-2"),
    prompt: z.string().min(1, "prompt is required").max(32_000, "prompt must be at most 32000 characters"),
    n: z.number().int().min(1).max(10).nullable().optional(),
    size: z.string().max(32).nullable().optional(),
    response_format: z.enum(["url", "b64_json"]).nullable().optional(),
    stream: z.literal(false, { error: "streamed image generation is not supported" }).nullable().optional(),
    user: EndUser.optional(),
  })
  .superRefine((req, ctx) => {
    const sizes = IMAGE_SIZES[req.model];
    if (sizes && req.size && !sizes.includes(req.size)) {
      ctx.addIssue({ code: "custom", path: ["size"], message: `${req.model} offers sizes ${sizes.join(", ")}` });
    }
    if (req.model === "dall-e-3" && req.n !== undefined && req.n !== null && req.n !== 1) {
      ctx.addIssue({ code: "custom", path: ["n"], message: "dall-e-3 generates one image per request (n: 1)" });
    }
  });
type ImagesRequest = z.infer<typeof ImagesRequest>;

/**
 * POST /v1/images/generations on the pipeline (routing, retries, fallbacks, one event): OpenAI's
 * images API on the hosts that offer it (`Provider.media.images`: openai, azure-openai, together,
 * xai). The body goes up as validated and the answer comes back as the host sent it; gpt-image-1's
 * token usage is priced from the catalogue.
 */
export const imagesEndpoint: EndpointSpec<ImagesRequest> = {
  endpoint: IMAGES_ENDPOINT,
  operation: "generate_content",
  parse(body) {
    const parsed = ImagesRequest.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error.issues);
    return parsed.data;
  },
  describe: (req) => ({ model: req.model, stream: false, user: req.user ?? null }),
  unsupported: (provider) =>
    provider.images && provider.media?.images ? null : `provider ${provider.id} does not offer ${IMAGES_ENDPOINT}`,
  async call(provider, req, target, signal) {
    if (!provider.images) throw new Error(`provider ${provider.id} has no images call`);
    return jsonReply(await provider.images({ body: req, target, signal }));
  },
  // Never streamed: `stream: true` is refused when the body is read.
  streamEncoder: () => openAIStreamEncoder(false),
};

export function registerImages(app: FastifyInstance, pipeline: Pipeline): void {
  app.post(IMAGES_ENDPOINT, pipelineRoute(imagesEndpoint, pipeline));
}
