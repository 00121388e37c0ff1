import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, AdminTestHarness, admin, type TestGateway } from "./admin-test-support.ts";

/**
 * The admin API with a tenant's API key instead of the admin token: each route's management scope
 * (virtual_keys.*, configs.*, guardrails.*, limits.*), the key's own tenant only, never the
 * operator's routes (tenants, API keys), and never implied by a key created without a scope list.
 */
const MANAGER_SCOPES = [
  "virtual_keys.read",
  "virtual_keys.write",
  "configs.read",
  "configs.write",
  "guardrails.read",
  "guardrails.write",
  "limits.read",
  "limits.write",
];

const asKey = (key: string, method: InjectOptions["method"], url: string, payload?: unknown): InjectOptions => ({
  method,
  url: `/v1/admin${url}`,
  headers: {
    authorization: `Bearer ${key}`,
    ...(payload === undefined ? {} : { "content-type": "application/json" }),
  },
  ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
});

describe("admin API with a scoped API key", () => {
  let harness: AdminTestHarness;
  let gw: TestGateway;
  /** A second replica with no admin token: only API keys open its admin API. */
  let tokenless: TestGateway;
  const keys: Record<string, string> = {};

  const createKey = async (tenant: string, body: Record<string, unknown>) => {
    const res = await gw.app.inject(admin("POST", `/tenants/${tenant}/api-keys`, body));
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; key: string };
  };

  beforeAll(async () => {
    harness = await AdminTestHarness.open();
    gw = await harness.gateway({ token: ADMIN_TOKEN });
    tokenless = await harness.gateway({});
    for (const id of ["acme", "globex"])
      expect((await gw.app.inject(admin("POST", "/tenants", { id }))).statusCode).toBe(201);
    keys.manager = (await createKey("acme", { name: "console", scopes: MANAGER_SCOPES })).key;
    keys.reader = (await createKey("acme", { scopes: ["virtual_keys.read", "configs.read", "limits.read"] })).key;
    keys.defaults = (await createKey("acme", {})).key;
    keys.globex = (await createKey("globex", { scopes: MANAGER_SCOPES })).key;
    const revoked = await createKey("acme", { scopes: MANAGER_SCOPES });
    await gw.app.inject(admin("POST", `/tenants/acme/api-keys/${revoked.id}/revoke`));
    keys.revoked = revoked.key;
    expect(
      (
        await gw.app.inject(
          admin("POST", "/tenants/globex/virtual-keys", {
            id: "globex-openai",
            provider: "openai",
            api_key: "sk-globex-secret-1234",
          }),
        )
      ).statusCode,
    ).toBe(201);
  });
  afterAll(() => harness?.close());

  it("manages its own tenant's virtual keys: create, list with masked secrets, rotate, disable", async () => {
    const created = await gw.app.inject(
      asKey(keys.manager!, "POST", "/tenants/acme/virtual-keys", {
        id: "vk-1",
        provider: "openai",
        api_key: "sk-acme-secret-abcd",
      }),
    );
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ tenant_id: "acme", secrets: { api_key: "sk-…abcd" } });
    expect(created.body).not.toContain("sk-acme-secret-abcd");
    const rotated = await gw.app.inject(
      asKey(keys.manager!, "POST", "/tenants/acme/virtual-keys/vk-1/rotate", { api_key: "sk-acme-rotated-wxyz" }),
    );
    expect(rotated.json().secrets).toEqual({ api_key: "sk-…wxyz" });
    const disabled = await gw.app.inject(asKey(keys.manager!, "POST", "/tenants/acme/virtual-keys/vk-1/disable"));
    expect(disabled.json().disabled).toBe(true);
    const listed = await gw.app.inject(asKey(keys.reader!, "GET", "/tenants/acme/virtual-keys"));
    expect(listed.json().data.map((k: { id: string }) => k.id)).toEqual(["vk-1"]);
    // The same key through x-portkey-api-key (the Portkey SDK's header) works too.
    const viaHeader = await gw.app.inject({
      method: "GET",
      url: "/v1/admin/tenants/acme/virtual-keys/vk-1",
      headers: { "x-portkey-api-key": keys.manager! },
    });
    expect(viaHeader.json().disabled).toBe(true);
  });

  it("is confined to its tenant: another tenant's path is a 404 that changes nothing there", async () => {
    for (const [method, url, body] of [
      ["GET", "/tenants/globex/virtual-keys", undefined],
      ["GET", "/tenants/globex/virtual-keys/globex-openai", undefined],
      ["POST", "/tenants/globex/virtual-keys", { id: "planted", provider: "openai", api_key: "sk-x-1234" }],
      ["POST", "/tenants/globex/virtual-keys/globex-openai/disable", undefined],
      ["POST", "/tenants/globex/virtual-keys/globex-openai/rotate", { api_key: "sk-stolen-0000" }],
      ["GET", "/tenants/globex/configs", undefined],
      ["POST", "/tenants/globex/guardrails", { name: "g", checks: [{ id: "pii" }] }],
      ["PUT", "/tenants/globex/limits", { usage_limits: { type: "cost", credit_limit: 1_000_000 } }],
      ["GET", "/tenants/nowhere/virtual-keys", undefined],
    ] as const) {
      const res = await gw.app.inject(asKey(keys.manager!, method, url, body));
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error).toMatchObject({ code: "tenant_not_found", param: "tenant_id" });
      expect(res.json().error.message).toMatch(/is not this API key's tenant$/);
    }
    const theirs = (await gw.app.inject(admin("GET", "/tenants/globex/virtual-keys/globex-openai"))).json();
    expect(theirs).toMatchObject({ disabled: false, secrets: { api_key: "sk-…1234" } });
    expect((await gw.app.inject(admin("GET", "/tenants/globex/virtual-keys"))).json().data).toHaveLength(1);
    expect((await gw.app.inject(admin("GET", "/tenants/globex/guardrails"))).json().data).toHaveLength(0);
    // globex's own key sees its own, and not acme's.
    expect((await gw.app.inject(asKey(keys.globex!, "GET", "/tenants/globex/virtual-keys"))).statusCode).toBe(200);
    expect((await gw.app.inject(asKey(keys.globex!, "GET", "/tenants/acme/virtual-keys/vk-1"))).statusCode).toBe(404);
  });

  it("needs the route's scope: a key without a scope list has no management scope; read is not write", async () => {
    const noList = await gw.app.inject(asKey(keys.defaults!, "GET", "/tenants/acme/virtual-keys"));
    expect(noList.statusCode).toBe(403);
    expect(noList.json().error).toMatchObject({
      code: "insufficient_scope",
      message: "this API key lacks the virtual_keys.read scope",
    });
    const write = await gw.app.inject(
      asKey(keys.reader!, "POST", "/tenants/acme/virtual-keys", { provider: "openai", api_key: "sk-r-1234" }),
    );
    expect(write.json().error.message).toBe("this API key lacks the virtual_keys.write scope");
    expect((await gw.app.inject(asKey(keys.reader!, "GET", "/tenants/acme/guardrails"))).json().error.message).toBe(
      "this API key lacks the guardrails.read scope",
    );
    expect((await gw.app.inject(asKey(keys.reader!, "GET", "/tenants/acme/limits"))).statusCode).toBe(404); // past the scope: no limits yet
    expect(
      (
        await gw.app.inject(
          asKey(keys.reader!, "PUT", "/tenants/acme/limits", { usage_limits: { type: "cost", credit_limit: 9 } }),
        )
      ).json().error.message,
    ).toBe("this API key lacks the limits.write scope");
  });

  it("attaching limits in a virtual key's body needs limits.write as well", async () => {
    const vkOnly = (
      await gw.app.inject(
        admin("POST", "/tenants/acme/api-keys", { scopes: ["virtual_keys.read", "virtual_keys.write"] }),
      )
    ).json().key as string;
    const body = {
      id: "vk-limited",
      provider: "openai",
      api_key: "sk-l-1234",
      usage_limits: { type: "cost", credit_limit: 5 },
    };
    const denied = await gw.app.inject(asKey(vkOnly, "POST", "/tenants/acme/virtual-keys", body));
    expect(denied.json().error.message).toBe("this API key lacks the limits.write scope");
    expect((await gw.app.inject(admin("GET", "/tenants/acme/virtual-keys/vk-limited"))).statusCode).toBe(404);
    expect((await gw.app.inject(asKey(keys.manager!, "POST", "/tenants/acme/virtual-keys", body))).statusCode).toBe(
      201,
    );
    const limits = await gw.app.inject(asKey(keys.manager!, "GET", "/tenants/acme/virtual-keys/vk-limited/limits"));
    expect(limits.json().usage_limits).toMatchObject({ credit_limit: 5 });
  });

  it("saved configs (validated as for the admin token) and guardrails with their scopes", async () => {
    const invalid = await gw.app.inject(
      asKey(keys.manager!, "POST", "/tenants/acme/configs", { config: { strategy: { mode: "sometimes" } } }),
    );
    expect(invalid.statusCode).toBe(400);
    const validated = await gw.app.inject(
      asKey(keys.reader!, "POST", "/configs/validate", { config: { strategy: { mode: "sometimes" } } }),
    );
    expect(validated.json()).toMatchObject({ valid: false });
    const saved = await gw.app.inject(
      asKey(keys.manager!, "POST", "/tenants/acme/configs", { id: "pc-mine", config: { retry: { attempts: 2 } } }),
    );
    expect(saved.statusCode, saved.body).toBe(201);
    const guardrail = await gw.app.inject(
      asKey(keys.manager!, "POST", "/tenants/acme/guardrails", {
        id: "pg-mine",
        name: "No SSN",
        checks: [{ id: "pii" }],
      }),
    );
    expect(guardrail.statusCode, guardrail.body).toBe(201);
    expect((await gw.app.inject(asKey(keys.manager!, "DELETE", "/tenants/acme/guardrails/pg-mine"))).statusCode).toBe(
      200,
    );
  });

  it("never opens the operator's routes (tenants, API keys) to an API key", async () => {
    for (const [method, url, body] of [
      ["GET", "/tenants", undefined],
      ["GET", "/tenants/acme", undefined],
      ["POST", "/tenants", { id: "mine" }],
      ["GET", "/tenants/acme/api-keys", undefined],
      ["POST", "/tenants/acme/api-keys", { role: "admin" }],
    ] as const) {
      const res = await gw.app.inject(asKey(keys.manager!, method, url, body));
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json().error.code).toBe("invalid_admin_token");
    }
  });

  it("says who the credential is, and refuses revoked or unknown keys in words", async () => {
    const me = await gw.app.inject(asKey(keys.reader!, "GET", "/whoami"));
    expect(me.json()).toMatchObject({
      kind: "api_key",
      tenant_id: "acme",
      role: "tenant",
      scopes: ["virtual_keys.read", "configs.read", "limits.read"],
    });
    expect((await gw.app.inject(asKey(keys.defaults!, "GET", "/whoami"))).json().scopes).toEqual([
      "completions",
      "prompts.read",
      "prompts.write",
      "analytics.read",
      "feedback.write",
    ]);
    expect((await gw.app.inject(admin("GET", "/whoami"))).json()).toMatchObject({ kind: "operator", tenant_id: null });
    const revoked = await gw.app.inject(asKey(keys.revoked!, "GET", "/tenants/acme/virtual-keys"));
    expect([revoked.statusCode, revoked.json().error.code]).toEqual([401, "revoked_api_key"]);
    const unknown = await gw.app.inject(asKey("sy-not-a-key", "GET", "/tenants/acme/virtual-keys"));
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([401, "invalid_admin_token"]);
    const none = await gw.app.inject({ method: "GET", url: "/v1/admin/tenants/acme/virtual-keys" });
    expect(none.json().error.message).toContain("virtual_keys.read scope");
  });

  it("an admin-role key has every scope, and still only for its own tenant (its reach across tenants is analytics)", async () => {
    const adminRole = (await createKey("acme", { role: "admin" })).key;
    expect((await gw.app.inject(asKey(adminRole, "GET", "/tenants/acme/virtual-keys"))).statusCode).toBe(200);
    expect((await gw.app.inject(asKey(adminRole, "GET", "/tenants/globex/virtual-keys"))).statusCode).toBe(404);
    expect((await gw.app.inject(asKey(adminRole, "GET", "/tenants"))).json().error.code).toBe("invalid_admin_token");
  });

  it("works on a replica without an admin token, where the operator's routes stay off", async () => {
    const deadline = Date.now() + 5_000;
    let listed = await tokenless.app.inject(asKey(keys.manager!, "GET", "/tenants/acme/virtual-keys"));
    while (listed.statusCode !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
      listed = await tokenless.app.inject(asKey(keys.manager!, "GET", "/tenants/acme/virtual-keys"));
    }
    expect(listed.statusCode, listed.body).toBe(200);
    expect((await tokenless.app.inject(asKey(keys.manager!, "GET", "/tenants"))).json().error.code).toBe(
      "admin_disabled",
    );
    const anonymous = await tokenless.app.inject({ method: "GET", url: "/v1/admin/tenants/acme/configs" });
    expect(anonymous.json().error).toMatchObject({ code: "admin_disabled" });
    expect(anonymous.json().error.message).toContain("configs.read scope");
  });
});
