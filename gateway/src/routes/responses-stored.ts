import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { GatewayError } from "../errors.ts";
import { type EndpointSpec, openAIStreamEncoder } from "../pipeline/endpoint.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { jsonReply } from "../pipeline/reply.ts";
import { pipelineRoute } from "./pipeline-route.ts";

/**
 * GET and DELETE /v1/responses/{id} (and GET …/{id}/input_items): responses a host stored
 * (`store: true`) live only there, so these reach only providers that store them (openai,
 * azure-openai) — any other target is a 400 naming the provider before any call. They run through
 * the pipeline like every endpoint (auth, routing, one event; no cost: the response was paid for
 * when it was made), the host's answer relayed byte for byte.
 */
const ResponseId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9_-]+$/, "must be a response id (letters, digits, _ and -)");

interface StoredRequest {
  method: "GET" | "DELETE";
  id: string;
  /** `/{id}` or `/{id}/input_items`, with the client's query string. */
  path: string;
  /** What the event records as the model: the store is not per model. */
  model: string;
}

const STORED_ENDPOINT = "/v1/responses/{id}";

export const storedResponseEndpoint: EndpointSpec<StoredRequest> = {
  endpoint: STORED_ENDPOINT,
  operation: "chat",
  parse(body) {
    const req = body as StoredRequest;
    const id = ResponseId.safeParse(req.id);
    if (!id.success) throw new GatewayError("invalid_request", `response id ${id.error.issues[0]?.message}`, "id");
    return req;
  },
  describe: (req) => ({ model: req.model, stream: false, user: null }),
  params: (req) => ({ model: req.model, method: req.method }),
  unsupported: (provider) =>
    provider.storedResponse
      ? null
      : `provider ${provider.id} does not store responses: ${STORED_ENDPOINT} needs openai or azure-openai`,
  async call(provider, req, target, signal) {
    if (!provider.storedResponse) throw new Error(`provider ${provider.id} has no stored responses`);
    return jsonReply(await provider.storedResponse({ method: req.method, path: req.path, target, signal }));
  },
  streamEncoder: () => openAIStreamEncoder(false),
};

export function registerStoredResponses(app: FastifyInstance, pipeline: Pipeline): void {
  const handler = pipelineRoute(storedResponseEndpoint, pipeline);
  // The request is read from the URL: the transport hands the endpoint a body made of it.
  const from =
    (method: "GET" | "DELETE", suffix: string) =>
    (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
      const query = request.url.includes("?") ? request.url.slice(request.url.indexOf("?")) : "";
      const id = request.params.id;
      const body: StoredRequest = {
        method,
        id,
        path: `/${encodeURIComponent(id)}${suffix}${query}`,
        model: "stored-response",
      };
      request.body = body;
      return handler(request, reply);
    };
  app.get("/v1/responses/:id", from("GET", ""));
  app.delete("/v1/responses/:id", from("DELETE", ""));
  app.get("/v1/responses/:id/input_items", from("GET", "/input_items"));
}
