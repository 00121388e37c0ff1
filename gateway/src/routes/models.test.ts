import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, AdminTestHarness, admin, type TestGateway } from "../admin/admin-test-support.ts";

let harness: AdminTestHarness;
let gw: TestGateway;
let key = "";
beforeAll(async () => {
  harness = await AdminTestHarness.open();
  gw = await harness.gateway({ token: ADMIN_TOKEN });
  await gw.app.inject(admin("POST", "/tenants", { id: "acme" }));
  await gw.app.inject(admin("POST", "/tenants", { id: "other" }));
  key = (await gw.app.inject(admin("POST", "/tenants/acme/api-keys", { name: "ci" }))).json().key;
  const vk = (tenant: string, body: object) => gw.app.inject(admin("POST", `/tenants/${tenant}/virtual-keys`, body));
  await vk("acme", { id: "claude", provider: "anthropic", api_key: "sk-ant-x" });
  await vk("acme", {
    id: "azure-prod",
    provider: "azure-openai",
    api_key: "az",
    resource_name: "r",
    deployment_id: "dep-x",
  });
  await vk("acme", { id: "cohere-off", provider: "cohere", api_key: "co" });
  await gw.app.inject(admin("POST", "/tenants/acme/virtual-keys/cohere-off/disable"));
  await vk("other", { id: "gemini", provider: "google", api_key: "g" });
});
afterAll(() => harness.close());

describe("GET /v1/models", () => {
  it("lists the models behind the tenant's enabled virtual keys, and nothing of other tenants", async () => {
    const res = await gw.app.inject({ method: "GET", url: "/v1/models", headers: { "x-portkey-api-key": key } });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { object: string; data: Array<{ id: string; provider: string; virtual_key: string }> };
    expect(body.object).toBe("list");
    const providers = new Set(body.data.map((m) => m.provider));
    expect(providers).toEqual(new Set(["anthropic", "azure-openai"]));
    expect(body.data).toContainEqual(
      expect.objectContaining({ id: "dep-x", provider: "azure-openai", virtual_key: "azure-prod" }),
    );
    expect(body.data.filter((m) => m.virtual_key === "claude").length).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toContain("sk-ant-x");
  });

  it("needs a gateway key like every other endpoint", async () => {
    const res = await gw.app.inject({ method: "GET", url: "/v1/models" });
    expect(res.statusCode).toBe(401);
  });
});
