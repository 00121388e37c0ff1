import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, AdminTestHarness, admin, type TestGateway } from "./admin-test-support.ts";

/** Issue 10, regression: the admin API stored a virtual key with custom_host "not a url" (inline configs refuse it). */
let harness: AdminTestHarness;
let gw: TestGateway;
beforeAll(async () => {
  harness = await AdminTestHarness.open();
  gw = await harness.gateway({ token: ADMIN_TOKEN });
  await gw.app.inject(admin("POST", "/tenants", { id: "acme" }));
});
afterAll(() => harness.close());

describe("admin API: custom_host is validated as inline configs validate it", () => {
  it.each(["not a url", "ftp://files.example.com", "https://user:pass@llm.example.com"])(
    "%j → 400 naming custom_host, nothing stored",
    async (host) => {
      const created = await gw.app.inject(
        admin("POST", "/tenants/acme/virtual-keys", { id: "vk-bad", provider: "openai", custom_host: host }),
      );
      expect(created.statusCode).toBe(400);
      expect(created.json().error).toMatchObject({ type: "invalid_request_error", param: "custom_host" });
      expect(gw.control.view.virtualKey("acme", "vk-bad").status).toBe("unknown");
    },
  );

  it("on update too", async () => {
    const ok = await gw.app.inject(
      admin("POST", "/tenants/acme/virtual-keys", {
        id: "vk",
        provider: "openai",
        custom_host: "https://llm.example.com",
      }),
    );
    expect(ok.statusCode).toBe(201);
    const patched = await gw.app.inject(admin("PATCH", "/tenants/acme/virtual-keys/vk", { custom_host: "not a url" }));
    expect(patched.statusCode).toBe(400);
    expect(patched.json().error.param).toBe("custom_host");
  });
});
