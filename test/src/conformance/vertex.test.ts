import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAKE_TEXT } from "../fakes/provider-fake.ts";
import { type ConformanceStack, SETUPS, startConformanceStack, vertexServiceAccount } from "./support.ts";

/**
 * Vertex AI specifics beyond the shared conformance cases: the service account's token is fetched
 * once and reused (also when many requests need it at once), Claude models go to rawPredict with
 * `anthropic_version: vertex-2023-10-16` and no model in the body, regional and global endpoints,
 * an access token given directly, and the failures that must be 4xx before any Vertex call.
 */
let stack: ConformanceStack;
beforeAll(async () => {
  stack = await startConformanceStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.reset());

const chat = (leaf: Record<string, unknown> = {}, model = SETUPS["vertex-ai"].model, extra: object = {}) =>
  stack.post(
    "/v1/chat/completions",
    "vertex-ai",
    { model, messages: [{ role: "user", content: "hi" }], ...extra },
    { leaf },
  );

describe("vertex-ai: service-account tokens", () => {
  it("one token exchange serves many requests, concurrent ones included", async () => {
    const before = stack.tokens.issued;
    const answers = await Promise.all(Array.from({ length: 8 }, () => chat()));
    for (const res of answers) expect(res.status).toBe(200);
    expect((await chat()).status).toBe(200);
    expect(stack.tokens.issued - before).toBeLessThanOrEqual(1);
    const auth = String(stack.fake("vertex-ai").last?.headers.authorization);
    expect(auth).toMatch(/^Bearer ya29\.fake-\d+$/);
    expect(stack.fake("vertex-ai").last?.url).toBe(
      "/v1/projects/test-project/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent",
    );
  });

  it("a failed exchange is a 401 naming the cause; Vertex is never called with an empty bearer", async () => {
    // A second account (never seen by the token source) so no cached token hides the exchange.
    const other = { ...vertexServiceAccount().json, client_email: "other@test-project.iam.gserviceaccount.com" };
    stack.tokens.failNext(400, "invalid_grant", "Invalid JWT Signature.");
    const res = await chat({ vertex_service_account_json: other });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { message: string; type: string; param: string } };
    expect(body.error.message).toContain("token exchange failed (400, invalid_grant: Invalid JWT Signature.)");
    expect(body.error.param).toBe("vertex_service_account_json");
    expect(JSON.stringify(body)).not.toContain("PRIVATE KEY");
    expect(stack.fake("vertex-ai").calls).toHaveLength(0);
    const event = await stack.event();
    expect(event).toMatchObject({ status_code: 401, provider: "vertex-ai" });
    expect(JSON.stringify(event)).not.toContain("PRIVATE KEY");
  });

  it("a malformed service account is a 400 naming the field before any call", async () => {
    const broken = { ...vertexServiceAccount().json, private_key: "not a key" };
    const before = stack.tokens.received;
    const res = await chat({ vertex_service_account_json: broken });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; param: string } };
    expect(body.error.message).toContain("private_key");
    expect(stack.tokens.received).toBe(before);
    expect(stack.fake("vertex-ai").calls).toHaveLength(0);
  });

  it("an access token given directly is used as is (no exchange); a project id is required", async () => {
    const before = stack.tokens.received;
    const direct = {
      vertex_service_account_json: undefined,
      api_key: "ya29.fake-1",
      vertex_project_id: "test-project",
    };
    expect((await chat(direct)).status).toBe(200);
    expect(stack.fake("vertex-ai").last?.headers.authorization).toBe("Bearer ya29.fake-1");
    expect(stack.tokens.received).toBe(before);
    const noProject = await chat({ ...direct, vertex_project_id: undefined });
    expect(noProject.status).toBe(400);
    expect(((await noProject.json()) as { error: { message: string } }).error.message).toContain("vertex_project_id");
  });
});

describe("vertex-ai: models and endpoints", () => {
  it("Claude on Vertex: rawPredict, anthropic_version vertex-2023-10-16, the model in the URL only", async () => {
    const res = await chat({}, "claude-3-5-haiku@20241022", { max_tokens: 100 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content).toBe(FAKE_TEXT);
    const call = stack.fake("vertex-ai").last!;
    expect(call.url).toBe(
      "/v1/projects/test-project/locations/us-central1/publishers/anthropic/models/claude-3-5-haiku%4020241022:rawPredict",
    );
    expect(call.body.anthropic_version).toBe("vertex-2023-10-16");
    expect(call.body).not.toHaveProperty("model");
    const event = await stack.event();
    expect(event.usage).toMatchObject({
      input_tokens: 42,
      output_tokens: 17,
      cache_read_tokens: 10,
      cache_write_tokens: 4,
    });
  });

  it("Claude streamed: streamRawPredict, chat chunks back", async () => {
    const res = await chat({}, "claude-3-5-haiku@20241022", { stream: true });
    const text = await res.text();
    expect(stack.fake("vertex-ai").last?.url).toContain(":streamRawPredict");
    expect(text).toContain("data: [DONE]");
  });

  it("the global region uses the global host's path (location global)", async () => {
    expect((await chat({ vertex_region: "global" })).status).toBe(200);
    expect(stack.fake("vertex-ai").last?.url).toContain("/locations/global/publishers/google/");
  });

  it("x-portkey-vertex-* headers configure a single-provider request", async () => {
    const res = await fetch(`${stack.base}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-portkey-provider": "vertex-ai",
        "x-portkey-custom-host": stack.fake("vertex-ai").baseUrl,
        "x-portkey-vertex-region": "europe-west4",
        "x-portkey-vertex-project-id": "test-project",
        "x-portkey-vertex-service-account-json": JSON.stringify(vertexServiceAccount().json),
      },
      body: JSON.stringify({ model: "gemini-2.0-flash", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(stack.fake("vertex-ai").last?.url).toContain("/locations/europe-west4/");
  });
});
