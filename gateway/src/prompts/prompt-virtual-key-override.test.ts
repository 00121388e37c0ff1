import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, AdminTestHarness, admin, type TestGateway } from "../admin/admin-test-support.ts";

/**
 * A saved version run through another virtual key (the playground's "run v3 with vk-b"): the call's
 * x-portkey-virtual-key routes it instead of the version's own, and the request still records the
 * prompt id and version (it is that version, rendered as saved). A draft run is for edited
 * templates only.
 */

let harness: AdminTestHarness;
let gw: TestGateway;
let key: string;

beforeAll(async () => {
  harness = await AdminTestHarness.open();
  gw = await harness.gateway({ token: ADMIN_TOKEN });
  await gw.app.inject(admin("POST", "/tenants", { id: "acme" }));
  await gw.app.inject(admin("POST", "/tenants", { id: "globex" }));
  key = (await gw.app.inject(admin("POST", "/tenants/acme/api-keys", {}))).json().key as string;
  for (const [tenant, id] of [
    ["acme", "vk-own"],
    ["acme", "vk-other"],
    ["globex", "vk-globex"],
  ] as const) {
    const res = await gw.app.inject(admin("POST", `/tenants/${tenant}/virtual-keys`, { id, provider: "mock" }));
    expect(res.statusCode, res.body).toBe(201);
  }
  const created = await gw.app.inject({
    method: "POST",
    url: "/v1/prompts",
    headers: { "content-type": "application/json", "x-portkey-api-key": key },
    payload: JSON.stringify({
      id: "pp-routed",
      name: "routed",
      string: "A line about {{topic}}",
      model: "gpt-4o-mini",
      virtual_key: "vk-own",
    }),
  });
  expect(created.statusCode, created.body).toBe(200);
});
afterAll(() => harness.close());

const call = async (headers: Record<string, string> = {}) => {
  const before = gw.sink.events.length;
  const res = await gw.app.inject({
    method: "POST",
    url: "/v1/prompts/pp-routed@1/completions",
    headers: { "content-type": "application/json", "x-portkey-api-key": key, ...headers },
    payload: JSON.stringify({ variables: { topic: "tides" } }),
  });
  const events = res.statusCode === 200 ? (await gw.sink.waitFor(before + 1)).slice(before) : [];
  return { status: res.statusCode, body: res.json(), headers: res.headers, event: events[0] };
};

describe("a saved prompt version run through another virtual key", () => {
  it("is routed by the version's own virtual key when the call names none", async () => {
    const res = await call();
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.event).toMatchObject({ prompt_id: "pp-routed", prompt_version: 1, virtual_key_id: "vk-own" });
  });

  it("is routed by the call's x-portkey-virtual-key and still records the prompt id and version", async () => {
    const res = await call({ "x-portkey-virtual-key": "vk-other" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.choices[0].message.content).toContain("A line about tides");
    expect(res.headers["x-portkey-prompt-version"]).toBe("pp-routed@1");
    expect(res.event).toMatchObject({
      endpoint: "/v1/prompts/{id}/completions",
      prompt_id: "pp-routed",
      prompt_version: 1,
      virtual_key_id: "vk-other",
      status_code: 200,
    });
  });

  it("refuses another tenant's virtual key, naming it, before any upstream call", async () => {
    const before = gw.sink.events.length;
    const res = await call({ "x-portkey-virtual-key": "vk-globex" });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(JSON.stringify(res.body)).toContain("vk-globex");
    // Refused requests are recorded too (as any call's): none reached an upstream.
    for (const e of (await gw.sink.waitFor(before)).slice(before)) expect(e.status_code).toBeGreaterThanOrEqual(400);
  });
});
