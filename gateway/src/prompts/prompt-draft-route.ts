import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { pipelineRoute } from "../routes/pipeline-route.ts";
import { type PromptEnvelope, promptDraftEndpoint } from "./prompt-endpoint.ts";

/**
 * POST /v1/prompts/completions on the pipeline: an unsaved version (`prompt` in the body) run like
 * `/v1/prompts/{id}/completions` (prompt-draft.ts). No prompt id can collide with it: a saved
 * prompt's run path has one more segment.
 */
export function registerPromptDraftRun(app: FastifyInstance, pipeline: Pipeline): void {
  const handler = pipelineRoute(promptDraftEndpoint, pipeline);
  app.post("/v1/prompts/completions", (request: FastifyRequest, reply: FastifyReply) => {
    const envelope: PromptEnvelope = { promptRef: null, body: request.body };
    request.body = envelope;
    return handler(request, reply);
  });
}
