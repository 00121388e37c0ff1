import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollUntil } from "../e2e/support.ts";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import { type CompatStack, chatParams, failureOf, portkeyClient, startCompatStack } from "./support.ts";

/**
 * Gateway API keys created through the admin API and used as the portkey SDK's `apiKey`
 * (x-portkey-api-key): a live key works, a revoked or unknown one gets a 401 OpenAI-style error
 * and never reaches an upstream. Runs in its own stack: once a key exists, the gateway leaves
 * open local-dev mode.
 */
describe("gateway API keys from the admin API, used by the portkey SDK", () => {
  const fake = new FakeOpenAIUpstream({ name: "bystander" });
  let sy: CompatStack;
  const tenant = `compat-tenant-${process.pid}`;

  beforeAll(async () => {
    await fake.start();
    sy = await startCompatStack();
  });
  afterAll(async () => {
    await sy?.stop();
    await fake.stop();
  });

  it("the admin API refuses a caller without the admin token", async () => {
    const res = await sy.admin.request("POST", "/tenants", { id: "intruder", name: "intruder" }, null);
    expect(res.status).toBe(401);
    const wrong = await sy.admin.request("POST", "/tenants", { id: "intruder", name: "intruder" }, "not-the-token");
    expect(wrong.status).toBe(401);
  });

  it("a live key works; once revoked it gets 401 naming the revocation, and no upstream is called", async () => {
    await sy.admin.createTenant(tenant);
    const key = await sy.admin.createApiKey(tenant);
    expect(key.key).toMatch(/^sy-/);

    const live = portkeyClient(sy.gatewayUrl, { apiKey: key.key, provider: "mock" });
    // The control plane folds asynchronously: poll until the new key is known.
    const completion = await pollUntil(
      () => live.chat.completions.create(chatParams()).catch(() => undefined),
      "the new API key to be accepted",
      5_000,
    );
    expect(completion.object).toBe("chat.completion");

    await sy.admin.revokeApiKey(tenant, key.id);
    const revokedAt = Date.now();
    const client = portkeyClient(sy.gatewayUrl, {
      apiKey: key.key,
      provider: "openai",
      customHost: fake.baseUrl,
      Authorization: "Bearer sk-bystander-key",
    });
    const failed = await pollUntil(
      async () => {
        const f = await failureOf(client.chat.completions.create(chatParams())).catch(() => undefined);
        return f?.status === 401 ? f : undefined;
      },
      "the revocation to take effect",
      5_000,
    );
    expect(Date.now() - revokedAt, "revocation takes effect within a second").toBeLessThan(1000);
    expect(failed.error).toMatchObject({ type: "authentication_error" });
    expect(failed.error).toMatchObject({ code: "revoked_api_key" });
    expect(failed.error.message).toMatch(/revoked/);
    expect(fake.received).toBe(0);
  });

  it("an unknown key gets 401 and no upstream is called", async () => {
    const client = portkeyClient(sy.gatewayUrl, {
      apiKey: "sy-not-a-key-that-exists",
      provider: "openai",
      customHost: fake.baseUrl,
      Authorization: "Bearer sk-bystander-key",
    });
    const failed = await failureOf(client.chat.completions.create(chatParams()));
    expect(failed.status).toBe(401);
    expect(failed.error).toMatchObject({ type: "authentication_error" });
    expect(failed.error).toMatchObject({ code: "invalid_api_key" });
    expect(fake.received).toBe(0);
  });
});
