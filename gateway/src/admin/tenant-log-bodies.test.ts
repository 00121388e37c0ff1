import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, AdminTestHarness, admin, chat, type TestGateway } from "./admin-test-support.ts";

/** A tenant's `log_bodies` setting (control plane, live): off stops storing its prompts and answers, null returns to on. */
describe("tenant log_bodies", () => {
  let harness: AdminTestHarness;
  let gw: TestGateway;
  beforeAll(async () => {
    harness = await AdminTestHarness.open();
    gw = await harness.gateway({ token: ADMIN_TOKEN });
  });
  afterAll(() => harness.close());

  it("is on by default, off when the tenant says so, and back on with null; other tenants are untouched", async () => {
    const created = await gw.app.inject(admin("POST", "/tenants", { id: "quiet", log_bodies: false }));
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: "quiet", log_bodies: false });
    expect((await gw.app.inject(admin("POST", "/tenants", { id: "loud" }))).json()).toMatchObject({ log_bodies: true });
    const quietKey = (await gw.app.inject(admin("POST", "/tenants/quiet/api-keys", {}))).json().key as string;
    const loudKey = (await gw.app.inject(admin("POST", "/tenants/loud/api-keys", {}))).json().key as string;

    const bodiesOf = async (key: string) => {
      gw.sink.events.length = 0;
      expect((await gw.app.inject(chat(key))).statusCode).toBe(200);
      return (await gw.sink.waitFor(1))[0]?.bodies ?? null;
    };
    expect(await bodiesOf(quietKey)).toBeNull();
    expect((await bodiesOf(loudKey))?.request).toContain("messages");

    const back = await gw.app.inject(admin("PATCH", "/tenants/quiet", { log_bodies: null }));
    expect(back.json()).toMatchObject({ id: "quiet", log_bodies: true });
    expect((await bodiesOf(quietKey))?.request).toContain("messages");

    const bad = await gw.app.inject(admin("PATCH", "/tenants/quiet", { log_bodies: "no" }));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe("log_bodies");
  });
});
