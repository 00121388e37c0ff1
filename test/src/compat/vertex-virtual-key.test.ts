import { FakeGoogleTokenServer, makeServiceAccount } from "@switchyard/gateway/testing";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERTEX_PROJECT, vertexDialect } from "../fakes/dialects/vertex.ts";
import { FAKE_TEXT, ProviderFake } from "../fakes/provider-fake.ts";
import { type CompatStack, startCompatStack } from "./support.ts";

/**
 * A Vertex AI virtual key end to end on the stack `npm start` runs: the service account is given to
 * the admin API once, stored encrypted, never shown again; a client then needs only its gateway key
 * and the virtual key's id — the gateway signs the JWT, exchanges it at the (fake) Google token
 * endpoint (SWITCHYARD_VERTEX_TOKEN_URL) and calls the (fake) Vertex with the access token.
 */
const account = makeServiceAccount(VERTEX_PROJECT);
const tokens = new FakeGoogleTokenServer().trust(account);
const vertex = new ProviderFake(
  "vertex-ai",
  vertexDialect((t) => tokens.isIssued(t)),
  "/v1",
);
let sy: CompatStack;
let gatewayKey: string;
const tenant = `vertex-${process.pid}`;

beforeAll(async () => {
  await Promise.all([tokens.start(), vertex.start()]);
  sy = await startCompatStack({
    env: { SWITCHYARD_VERTEX_TOKEN_URL: tokens.url, SWITCHYARD_CUSTOM_HOST_ALLOWLIST: "127.0.0.1" },
  });
  await sy.admin.createTenant(tenant);
  gatewayKey = (await sy.admin.createApiKey(tenant)).key;
  const created = await sy.admin.request("POST", `/tenants/${tenant}/virtual-keys`, {
    id: "vertex-prod",
    provider: "vertex-ai",
    vertex_service_account_json: account.json,
    vertex_region: "us-central1",
    custom_host: vertex.baseUrl,
  });
  expect(created.status).toBe(201);
  expect(JSON.stringify(created.body)).not.toContain("PRIVATE KEY");
}, 60_000);
afterAll(async () => {
  await sy?.stop();
  await Promise.all([tokens.stop(), vertex.stop()]);
});

describe("a Vertex virtual key", () => {
  it("chat and responses through the key: one token exchange, Gemini answered", async () => {
    const client = new OpenAI({
      baseURL: `${sy.gatewayUrl}/v1`,
      apiKey: gatewayKey,
      defaultHeaders: { "x-portkey-virtual-key": "vertex-prod" },
      maxRetries: 0,
    });
    const reply = await client.chat.completions.create({
      model: "gemini-2.0-flash",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(reply.choices[0]?.message.content).toBe(FAKE_TEXT);
    const response = await client.responses.create({ model: "gemini-2.0-flash", input: "hi" });
    expect(response.output_text).toBe(FAKE_TEXT);
    expect(vertex.last?.url).toBe(
      `/v1/projects/${VERTEX_PROJECT}/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent`,
    );
    expect(String(vertex.last?.headers.authorization)).toMatch(/^Bearer ya29\.fake-\d+$/);
    expect(tokens.issued).toBe(1);
  });

  it("the stored key never shows its private key", async () => {
    const listed = await sy.admin.request("GET", `/tenants/${tenant}/virtual-keys/vertex-prod`);
    expect(listed.status).toBe(200);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).not.toContain(account.json.private_key!.slice(40, 80));
  });
});
