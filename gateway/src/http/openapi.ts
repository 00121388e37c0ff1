import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { MessagesRequest } from "../routes/messages-convert.ts";
import { ResponsesRequest } from "../routes/responses-convert.ts";
import { ChatCompletionRequest } from "../schemas/chat.ts";
import { PORTKEY_HEADER_DEFAULT_MAX, PORTKEY_HEADER_MAX } from "./portkey-headers.ts";

interface RouteInfo {
  method: string;
  url: string;
}

/** Request bodies described by the zod schemas the endpoints parse with (input side). */
const BODIES: Record<string, z.ZodType> = {
  "POST /v1/chat/completions": ChatCompletionRequest,
  "POST /v1/messages": MessagesRequest,
  "POST /v1/responses": ResponsesRequest,
};

const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return rest;
};

/** Every `x-portkey-*` header with its own bound (PORTKEY_HEADER_MAX), as header parameters of the LLM routes. */
const PORTKEY_HEADERS = Object.entries(PORTKEY_HEADER_MAX).map(([name, max]) => ({
  name,
  in: "header",
  required: false,
  schema: { type: "string", maxLength: max },
}));

/** Remembers every route as it is registered (an onRoute hook: must be added before the routes). */
export function collectRoutes(app: FastifyInstance): () => readonly RouteInfo[] {
  const routes: RouteInfo[] = [];
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      if (method !== "HEAD" && method !== "OPTIONS") routes.push({ method, url: route.url });
    }
  });
  return () => routes;
}

function documentOf(routes: readonly RouteInfo[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { method, url } of routes) {
    const path = url.replace(/:(\w+)/g, "{$1}");
    const params = [...url.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const body = BODIES[`${method} ${url}`];
    const llm = method === "POST" && url.startsWith("/v1/") && !url.startsWith("/v1/admin");
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      parameters: [...params, ...(llm ? PORTKEY_HEADERS : [])],
      ...(method === "POST" || method === "PUT"
        ? { requestBody: { content: { "application/json": { schema: body ? jsonSchema(body) : { type: "object" } } } } }
        : {}),
      responses: {
        "200": { description: "OK" },
        "400": { description: "Bad input: `{error: {message, type, param, code}}`, `param` names the field" },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Switchyard gateway",
      version: "1",
      description: `OpenAI-compatible API with Portkey headers (other x-portkey-* headers: at most ${PORTKEY_HEADER_DEFAULT_MAX} characters).`,
    },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        portkeyApiKey: { type: "apiKey", in: "header", name: "x-portkey-api-key" },
      },
    },
    security: [{ bearer: [] }, { portkeyApiKey: [] }],
    paths,
  };
}

/** GET /openapi.json: every route the gateway registered, bodies from their zod schemas where exported. No auth. */
export function registerGatewayOpenApi(app: FastifyInstance, routes: () => readonly RouteInfo[]): void {
  let document: Record<string, unknown> | null = null;
  app.get("/openapi.json", async () => {
    document ??= documentOf(routes());
    return document;
  });
}
