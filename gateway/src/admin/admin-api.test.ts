import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "@switchyard/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, AdminTestHarness, admin, chat, type TestGateway } from "./admin-test-support.ts";

let harness: AdminTestHarness;
const gateway = (options: Parameters<AdminTestHarness["gateway"]>[0]) => harness.gateway(options);

beforeAll(async () => {
  harness = await AdminTestHarness.open();
});
afterAll(() => harness.close());

describe("admin API access", () => {
  it("is off without SWITCHYARD_ADMIN_TOKEN, and says how to turn it on", async () => {
    const gw = await gateway({ token: undefined });
    const res = await gw.app.inject(admin("GET", "/tenants"));
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: "admin_disabled", type: "permission_error" });
    expect(res.json().error.message).toMatch(/SWITCHYARD_ADMIN_TOKEN/);
  });

  it("refuses a missing or wrong admin token with 401", async () => {
    const gw = await gateway({ token: ADMIN_TOKEN });
    for (const authorization of [undefined, "Bearer wrong-token", `Bearer ${ADMIN_TOKEN}x`]) {
      const headers = authorization === undefined ? {} : { authorization };
      const res = await gw.app.inject({ method: "GET", url: "/v1/admin/tenants", headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe("invalid_admin_token");
    }
  });
});

describe("admin API: tenants, API keys, saved configs", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await gateway({ token: ADMIN_TOKEN });
  });

  it("creates a tenant and a key; the key works at once; revoked, it gets 401", async () => {
    const tenant = await gw.app.inject(admin("POST", "/tenants", { id: "acme", name: "Acme" }));
    expect(tenant.statusCode).toBe(201);
    expect(tenant.json()).toMatchObject({ object: "tenant", id: "acme", name: "Acme", version: 1 });
    expect((await gw.app.inject(admin("POST", "/tenants", { id: "acme" }))).json().error.code).toBe("conflict");

    const created = await gw.app.inject(admin("POST", "/tenants/acme/api-keys", { name: "ci" }));
    expect(created.statusCode).toBe(201);
    const { key, id } = created.json();
    expect(key).toMatch(/^sy-[A-Za-z0-9_-]{43}$/);

    const ok = await gw.app.inject(chat(key));
    expect(ok.statusCode).toBe(200);
    const [event] = await gw.sink.waitFor(1);
    expect(event).toMatchObject({ tenant_id: "acme", api_key_id: id });
    // With a key configured, anonymous calls are no longer admitted.
    expect((await gw.app.inject(chat())).statusCode).toBe(401);

    const listed = await gw.app.inject(admin("GET", "/tenants/acme/api-keys"));
    expect(listed.body).not.toContain(key);
    expect(listed.body).not.toContain(sha256Hex(key));

    const revoked = await gw.app.inject(admin("POST", `/tenants/acme/api-keys/${id}/revoke`));
    expect(revoked.json()).toMatchObject({ revoked: true, version: 2 });
    const refused = await gw.app.inject(chat(key));
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe("revoked_api_key");
  });

  it("validates saved configs with the config schema and versions updates", async () => {
    const invalid = await gw.app.inject(
      admin("POST", "/tenants/acme/configs", { config: { strategy: { mode: "roundrobin" }, targets: [] } }),
    );
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.message).toMatch(/strategy\.mode/);
    const created = await gw.app.inject(
      admin("POST", "/tenants/acme/configs", {
        id: "pc-fallback",
        config: { strategy: { mode: "fallback" }, targets: [{ provider: "mock" }, { provider: "openai" }] },
      }),
    );
    expect(created.statusCode).toBe(201);
    const updated = await gw.app.inject(
      admin("PATCH", "/tenants/acme/configs/pc-fallback", { config: { provider: "mock" } }),
    );
    expect(updated.json()).toMatchObject({ id: "pc-fallback", version: 2, config: { provider: "mock" } });
    expect(gw.control.view.savedConfig("acme", "pc-fallback")).toEqual({ provider: "mock" });
  });

  it("lists every failing body field, and 404s unknown tenants", async () => {
    const bad = await gw.app.inject(
      admin("POST", "/tenants/acme/virtual-keys", { provider: "Not A Provider", apikey: "x" }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/provider: .*apikey|apikey.*provider/s);
    const unknownProvider = await gw.app.inject(admin("POST", "/tenants/acme/virtual-keys", { provider: "nope" }));
    expect(unknownProvider.json().error.code).toBe("unknown_provider");
    const noTenant = await gw.app.inject(admin("POST", "/tenants/ghost/api-keys", {}));
    expect(noTenant.statusCode).toBe(404);
    expect(noTenant.json().error.code).toBe("tenant_not_found");
  });

  it("deletes a tenant with everything it owns", async () => {
    await gw.app.inject(admin("POST", "/tenants", { id: "short-lived" }));
    const { key } = (await gw.app.inject(admin("POST", "/tenants/short-lived/api-keys", {}))).json();
    await gw.app.inject(
      admin("POST", "/tenants/short-lived/virtual-keys", {
        id: "vk",
        provider: "openai",
        api_key: "sk-short-lived-0000000000000",
      }),
    );
    expect((await gw.app.inject(chat(key))).statusCode).toBe(200);
    expect((await gw.app.inject(admin("DELETE", "/tenants/short-lived"))).json().deleted).toBe(true);
    expect((await gw.app.inject(chat(key))).json().error.code).toBe("revoked_api_key");
    expect(gw.control.view.virtualKey("short-lived", "vk")).toEqual({ status: "unknown" });
    // Re-created with the same id, it starts empty and continues the version sequence.
    const again = await gw.app.inject(admin("POST", "/tenants", { id: "short-lived" }));
    expect(again.json().version).toBe(3);
    expect((await gw.app.inject(admin("GET", "/tenants/short-lived/virtual-keys"))).json().data).toEqual([]);
  });
});

describe("admin API next to the config file", () => {
  it("leaves entities declared in the config file to the file", async () => {
    const file = join(harness.dataDir, "switchyard.yaml");
    await writeFile(
      file,
      "version: 1\ntenants:\n  - id: gitops\n    saved_configs:\n      - id: pc-git\n        config: { provider: mock }\n",
    );
    const gw = await gateway({ token: ADMIN_TOKEN, file });
    const tenant = await gw.app.inject(admin("GET", "/tenants/gitops"));
    expect(tenant.json()).toMatchObject({ source: "config_file" });
    const patch = await gw.app.inject(admin("PATCH", "/tenants/gitops", { name: "renamed" }));
    expect(patch.statusCode).toBe(409);
    expect(patch.json().error.code).toBe("managed_by_file");
    const update = await gw.app.inject(
      admin("PATCH", "/tenants/gitops/configs/pc-git", { config: { provider: "openai" } }),
    );
    expect(update.json().error.code).toBe("managed_by_file");
    // The admin API may still add to a file-declared tenant.
    const extra = await gw.app.inject(
      admin("POST", "/tenants/gitops/configs", { id: "pc-extra", config: { provider: "mock" } }),
    );
    expect(extra.statusCode).toBe(201);
  });
});
