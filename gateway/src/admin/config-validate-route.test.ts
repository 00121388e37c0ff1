import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, AdminTestHarness, admin, type TestGateway } from "./admin-test-support.ts";

let harness: AdminTestHarness;
let gw: TestGateway;
beforeAll(async () => {
  harness = await AdminTestHarness.open();
  gw = await harness.gateway({ token: ADMIN_TOKEN });
});
// The harness closes the gateways it opened.
afterAll(() => harness.close());

describe("admin API: POST /v1/admin/configs/validate", () => {
  it("lists a config's problems with the schema a save uses, without saving it", async () => {
    const bad = { strategy: { mode: "sometimes" }, targets: [] };
    const checked = await gw.app.inject(admin("POST", "/configs/validate", { config: bad }));
    expect(checked.statusCode).toBe(200);
    const body = checked.json() as { valid: boolean; errors: string[] };
    expect(body.valid).toBe(false);
    expect(body.errors.some((e) => e.startsWith("strategy.mode: "))).toBe(true);
    // The same words a save answers with.
    await gw.app.inject(admin("POST", "/tenants", { id: "acme" }));
    const saved = await gw.app.inject(admin("POST", "/tenants/acme/configs", { config: bad }));
    expect(saved.statusCode).toBe(400);
    for (const error of body.errors) expect(saved.json().error.message).toContain(error);

    const good = await gw.app.inject(
      admin("POST", "/configs/validate", { config: { retry: { attempts: 2 }, provider: "openai" } }),
    );
    expect(good.json()).toEqual({ object: "config_validation", valid: true, errors: [] });
  });

  it("is a 400 naming the field for a body that is not {config: {...}}, and needs the admin token", async () => {
    const res = await gw.app.inject(admin("POST", "/configs/validate", { config: "nope" }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe("config");
    const anonymous = await gw.app.inject({
      method: "POST",
      url: "/v1/admin/configs/validate",
      payload: { config: {} },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});
