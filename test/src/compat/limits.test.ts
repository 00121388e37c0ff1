import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollUntil } from "../e2e/support.ts";
import { type CompatStack, chatParams, failureOf, openaiClient, portkeyClient, startCompatStack } from "./support.ts";

/**
 * Budgets and rate limits as the unmodified SDKs see them: limits set with Portkey's field names on
 * an API key's create body and as a per-user policy; the portkey SDK (its `metadata._user`) and the
 * openai SDK get the 429 / 412 OpenAI-style errors, the openai SDK's headers carry
 * `x-ratelimit-*` and `retry-after`.
 */
describe("budgets and rate limits through the SDKs", () => {
  let sy: CompatStack;
  const tenant = `limits-${process.pid}`;
  let key = "";

  beforeAll(async () => {
    sy = await startCompatStack();
    await sy.admin.createTenant(tenant);
    const created = await sy.admin.request<{ key: string }>("POST", `/tenants/${tenant}/api-keys`, {
      name: "limited",
      rate_limits: [{ type: "requests", unit: "rpd", value: 4 }],
    });
    expect(created.status).toBe(201);
    key = created.body.key;
    const policy = await sy.admin.request("PUT", `/tenants/${tenant}/limit-policies/per-user`, {
      group_by: [{ key: "metadata._user" }],
      usage_limits: { type: "requests", credit_limit: 1, periodic_reset: "daily" },
    });
    expect(policy.status).toBe(200);
  });
  afterAll(async () => {
    await sy?.stop();
  });

  it("a per-user budget via the portkey SDK's metadata: 412 budget_exceeded for that user only", async () => {
    const alice = portkeyClient(sy.gatewayUrl, { apiKey: key, provider: "mock", metadata: { _user: "alice" } });
    // The control plane folds asynchronously: poll until the key is known.
    const first = await pollUntil(
      () => alice.chat.completions.create(chatParams()).catch(() => undefined),
      "the new API key to be accepted",
      5_000,
    );
    expect(first.object).toBe("chat.completion");
    const refused = await failureOf(alice.chat.completions.create(chatParams()));
    expect(refused.status).toBe(412);
    expect(refused.error).toMatchObject({ type: "budget_exceeded", code: "budget_exceeded" });
    expect(refused.error.message).toMatch(/per-user#budget_requests\[alice\] exhausted: 1 requests of 1 requests used/);
    const bob = portkeyClient(sy.gatewayUrl, { apiKey: key, provider: "mock", metadata: { _user: "bob" } });
    expect((await bob.chat.completions.create(chatParams())).object).toBe("chat.completion");
  });

  it("the key's rate limit via the openai SDK: x-ratelimit-* on answers, then 429 with retry-after", async () => {
    const client = openaiClient(sy.gatewayUrl, key, { "x-portkey-provider": "mock" });
    // alice and bob used 2 of the key's 4 requests a day (alice's refused one never counted): this
    // is the 3rd, the next the 4th, the one after is refused.
    const { response } = await client.chat.completions.create(chatParams()).withResponse();
    expect(response.headers.get("x-ratelimit-limit-requests")).toBe("4");
    expect(response.headers.get("x-ratelimit-remaining-requests")).toBe("1");
    expect(response.headers.get("x-ratelimit-reset-requests")).toMatch(/^\d+s$/);
    await client.chat.completions.create(chatParams());
    const refused = await client.chat.completions
      .create(chatParams())
      .then(() => null)
      .catch((error: { status?: number; headers?: Headers; error?: { type?: string; message?: string } }) => error);
    expect(refused?.status).toBe(429);
    expect(refused?.error?.type).toBe("rate_limit_exceeded");
    expect(refused?.error?.message).toContain(`ak.`);
    expect(Number(refused?.headers?.get("retry-after"))).toBeGreaterThan(0);
  });
});
