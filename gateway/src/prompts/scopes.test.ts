import { sha256Hex } from "@switchyard/platform";
import { afterAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, AdminTestHarness, admin as adminCall } from "../admin/admin-test-support.ts";
import { buildTestGateway } from "../test-support.ts";

/** API key scopes: a key with a scope list may do only what it lists; a key without one may do everything. */
const key = (id: string, scopes?: string[]) => ({
  id,
  tenant_id: "acme",
  key_sha256: sha256Hex(`sy-${id}`),
  role: "tenant" as const,
  revoked: false,
  ...(scopes ? { scopes: scopes as never } : {}),
});
const gw = buildTestGateway({
  keys: [key("all"), key("reader", ["prompts.read"]), key("caller", ["completions"]), key("writer", ["prompts.write"])],
});
afterAll(() => gw.close());

const request = (apiKey: string, method: "GET" | "POST", url: string, payload?: object) =>
  gw.app.inject({
    method,
    url,
    headers: { "x-portkey-api-key": `sy-${apiKey}`, "x-portkey-provider": "mock" },
    ...(payload ? { payload } : {}),
  });
const chat = { model: "m", messages: [{ role: "user", content: "hi" }] };

describe("API key scopes", () => {
  it("chat needs completions; the 403 names the missing scope and is answered before admission", async () => {
    const before = gw.sink.events.length;
    const denied = await request("reader", "POST", "/v1/chat/completions", chat);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toMatchObject({
      code: "insufficient_scope",
      message: "this API key lacks the completions scope",
    });
    expect(gw.sink.events.length).toBe(before);
    expect((await request("caller", "POST", "/v1/chat/completions", chat)).statusCode).toBe(200);
    expect((await request("all", "POST", "/v1/chat/completions", chat)).statusCode).toBe(200);
  });

  it("listing prompts needs prompts.read, creating them prompts.write, running one completions, rendering prompts.read", async () => {
    expect((await request("caller", "GET", "/v1/prompts")).json().error.message).toContain("prompts.read");
    // Past the scope check (this app has no control plane to list from).
    expect((await request("reader", "GET", "/v1/prompts")).json().error.code).toBe("admin_disabled");
    const create = { name: "p", string: "hi", model: "m" };
    expect((await request("reader", "POST", "/v1/prompts", create)).json().error.message).toContain("prompts.write");
    expect((await request("writer", "POST", "/v1/prompts/pp-x/completions", {})).json().error.message).toContain(
      "completions",
    );
    // The key may render, so the answer is about the prompt (this app has no prompts), not the scope.
    expect((await request("reader", "POST", "/v1/prompts/pp-x/render", {})).json().error.code).toBe("prompt_not_found");
    expect((await request("caller", "POST", "/v1/prompts/pp-x/render", {})).json().error.message).toContain(
      "prompts.read",
    );
  });
});

describe("scopes through the admin API", () => {
  it("a key created with scopes is restricted to them; the admin API shows them (null = the defaults)", async () => {
    const harness = await AdminTestHarness.open();
    try {
      const admin = await harness.gateway({ token: ADMIN_TOKEN });
      await admin.app.inject(adminCall("POST", "/tenants", { id: "acme" }));
      const bad = await admin.app.inject(
        adminCall("POST", "/tenants/acme/api-keys", { scopes: ["completions", "everything"] }),
      );
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.param).toBe("scopes.1");
      const limited = (
        await admin.app.inject(adminCall("POST", "/tenants/acme/api-keys", { scopes: ["feedback.write"] }))
      ).json();
      const full = (await admin.app.inject(adminCall("POST", "/tenants/acme/api-keys", {}))).json();
      expect([limited.scopes, full.scopes]).toEqual([["feedback.write"], null]);
      const chatWith = (k: string) =>
        admin.app.inject({
          method: "POST",
          url: "/v1/chat/completions",
          headers: { "x-portkey-api-key": k, "x-portkey-provider": "mock" },
          payload: chat,
        });
      expect((await chatWith(limited.key)).statusCode).toBe(403);
      expect((await chatWith(full.key)).statusCode).toBe(200);
      const feedback = await admin.app.inject({
        method: "POST",
        url: "/v1/feedback",
        headers: { "x-portkey-api-key": limited.key },
        payload: { trace_id: "t", value: 1 },
      });
      expect(feedback.statusCode).toBe(200);
    } finally {
      await harness.close();
    }
  });
});
