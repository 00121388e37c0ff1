import { join } from "node:path";
import { CONTROL_TOPIC } from "@switchyard/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, AdminTestHarness, admin, allBytesUnder, type TestGateway } from "./admin-test-support.ts";

const SECRET = "sk-proj-FIRSTsecretValue0123456789abcd";
const ROTATED = "sk-proj-ROTATEDsecretValue9876543210wxyz";

let harness: AdminTestHarness;
beforeAll(async () => {
  harness = await AdminTestHarness.open();
});
afterAll(() => harness.close());

describe("admin API: virtual keys", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await harness.gateway({ token: ADMIN_TOKEN });
    await gw.app.inject(admin("POST", "/tenants", { id: "acme" }));
  });

  it("keeps virtual-key secrets out of responses (masked hint) and out of the control topic's bytes", async () => {
    const created = await gw.app.inject(
      admin("POST", "/tenants/acme/virtual-keys", { id: "openai-prod", provider: "openai", api_key: SECRET }),
    );
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: "openai-prod", provider: "openai", secrets: { api_key: "sk-…abcd" } });
    expect(created.body).not.toContain(SECRET);

    const rotated = await gw.app.inject(
      admin("POST", "/tenants/acme/virtual-keys/openai-prod/rotate", { api_key: ROTATED }),
    );
    expect(rotated.json()).toMatchObject({ secrets: { api_key: "sk-…wxyz" }, version: 2 });
    const resolved = gw.control.view.virtualKey("acme", "openai-prod");
    expect(resolved.status === "ok" && resolved.credentials.reveal("api_key")).toBe(ROTATED);

    const listed = await gw.app.inject(admin("GET", "/tenants/acme/virtual-keys"));
    expect(listed.json().data).toHaveLength(1);
    for (const body of [rotated.body, listed.body]) expect(body).not.toMatch(/FIRSTsecret|ROTATEDsecret/);

    // The control topic's raw segment files (the embedded log does not compress) hold neither secret.
    const raw = await allBytesUnder(join(harness.dataDir, "log", CONTROL_TOPIC));
    expect(raw.includes("virtual_key.upserted")).toBe(true);
    for (const secret of [SECRET, ROTATED]) {
      expect(raw.includes(secret)).toBe(false);
      expect(raw.includes(Buffer.from(secret).toString("base64"))).toBe(false);
      expect(raw.includes(Buffer.from(secret).toString("hex"))).toBe(false);
    }
  });

  it("disables, re-enables and deletes a virtual key", async () => {
    const disabled = await gw.app.inject(admin("POST", "/tenants/acme/virtual-keys/openai-prod/disable"));
    expect(disabled.json().disabled).toBe(true);
    expect(gw.control.view.virtualKey("acme", "openai-prod").status).toBe("disabled");
    await gw.app.inject(admin("POST", "/tenants/acme/virtual-keys/openai-prod/enable"));
    expect(gw.control.view.virtualKey("acme", "openai-prod").status).toBe("ok");
    const patched = await gw.app.inject(
      admin("PATCH", "/tenants/acme/virtual-keys/openai-prod", {
        name: "prod",
        custom_host: "https://llm.example.com",
      }),
    );
    expect(patched.json()).toMatchObject({ name: "prod", fields: { custom_host: "https://llm.example.com" } });
    expect((await gw.app.inject(admin("DELETE", "/tenants/acme/virtual-keys/openai-prod"))).json().deleted).toBe(true);
    expect(gw.control.view.virtualKey("acme", "openai-prod")).toEqual({ status: "unknown" });
    const gone = await gw.app.inject(admin("GET", "/tenants/acme/virtual-keys/openai-prod"));
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe("virtual_key_not_found");
  });

  it("refuses virtual keys without a master key", async () => {
    const gw = await harness.gateway({ token: ADMIN_TOKEN, vault: null });
    await gw.app.inject(admin("POST", "/tenants", { id: "no-vault" }));
    const res = await gw.app.inject(
      admin("POST", "/tenants/no-vault/virtual-keys", { provider: "openai", api_key: SECRET }),
    );
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ code: "vault_unavailable" });
    expect(res.json().error.message).toMatch(/SWITCHYARD_MASTER_KEY/);
  });
});
