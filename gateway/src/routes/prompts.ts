import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { type PromptEnvelope, promptCompletionsEndpoint, promptRenderEndpoint } from "../prompts/prompt-endpoint.ts";
import { pipelineRoute } from "./pipeline-route.ts";

/**
 * POST /v1/prompts/{id}/completions and /render on the pipeline. The transport only wraps the
 * body with the id from the URL (a PromptEnvelope); the prompt stages do the rest.
 */
export function registerPromptRuns(app: FastifyInstance, pipeline: Pipeline): void {
  for (const endpoint of [promptCompletionsEndpoint, promptRenderEndpoint]) {
    const handler = pipelineRoute(endpoint, pipeline);
    app.post<{ Params: { id: string } }>(
      `/v1/prompts/:id/${endpoint.promptMode}`,
      (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
        const envelope: PromptEnvelope = { promptRef: request.params.id, body: request.body };
        request.body = envelope;
        return handler(request, reply);
      },
    );
  }
}
