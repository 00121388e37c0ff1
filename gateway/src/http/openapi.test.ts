import { afterAll, describe, expect, it } from "vitest";
import { buildTestGateway } from "../test-support.ts";

describe("GET /openapi.json (gateway)", () => {
  const gw = buildTestGateway();
  afterAll(() => gw.close());

  it("lists every route, with the chat, messages and responses bodies from their zod schemas", async () => {
    const response = await gw.app.inject({ method: "GET", url: "/openapi.json" });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(operations)) {
        const url = path.replace(/\{(\w+)\}/g, ":$1");
        expect(gw.app.hasRoute({ method: method.toUpperCase() as "GET", url }), `${method} ${path}`).toBe(true);
      }
    }
    for (const path of ["/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/messages", "/v1/responses"]) {
      expect(doc.paths[path]?.post, path).toBeDefined();
    }
    const chat = doc.paths["/v1/chat/completions"].post;
    const body = chat.requestBody.content["application/json"].schema;
    expect(body.properties).toHaveProperty("messages");
    expect(body.required).toContain("model");
    expect(chat.parameters).toContainEqual(
      expect.objectContaining({
        name: "x-portkey-config",
        in: "header",
        schema: { type: "string", maxLength: 32_768 },
      }),
    );
    expect(doc.paths["/v1/messages"].post.requestBody.content["application/json"].schema.properties).toHaveProperty(
      "max_tokens",
    );
  });
});
