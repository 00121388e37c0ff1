import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, AdminTestHarness, admin, type TestGateway } from "../admin/admin-test-support.ts";

/**
 * POST /v1/prompts/completions: an unsaved version run through the prompt call's pipeline (the
 * playground's "run before saving"): rendered with the call's variables and the tenant's partials,
 * routed and recorded like any call, checked like a save, scoped by completions + prompts.write.
 */

let harness: AdminTestHarness;
let gw: TestGateway;
const keys: Record<string, string> = {};

beforeAll(async () => {
  harness = await AdminTestHarness.open();
  gw = await harness.gateway({ token: ADMIN_TOKEN });
  await gw.app.inject(admin("POST", "/tenants", { id: "acme" }));
  await gw.app.inject(admin("POST", "/tenants", { id: "globex" }));
  const key = async (tenant: string, scopes?: string[]) =>
    (await gw.app.inject(admin("POST", `/tenants/${tenant}/api-keys`, scopes ? { scopes } : {}))).json().key as string;
  keys.author = await key("acme");
  keys.caller = await key("acme", ["completions", "prompts.read"]);
  keys.globex = await key("globex");
});
afterAll(() => harness.close());

const run = async (
  payload: unknown,
  key = keys.author!,
  headers: Record<string, string> = { "x-portkey-provider": "mock" },
) => {
  const options: InjectOptions = {
    method: "POST",
    url: "/v1/prompts/completions",
    headers: { "content-type": "application/json", "x-portkey-api-key": key, ...headers },
    payload: JSON.stringify(payload),
  };
  const res = await gw.app.inject(options);
  return { status: res.statusCode, body: res.json(), headers: res.headers };
};

describe("running an unsaved prompt version", () => {
  it("renders the body's template with the variables and partials, overrides win, and records the request", async () => {
    const partial = await gw.app.inject({
      method: "POST",
      url: "/v1/prompts/partials",
      headers: { "content-type": "application/json", "x-portkey-api-key": keys.author! },
      payload: JSON.stringify({ id: "tone", name: "tone", string: "Be brief." }),
    });
    expect(partial.statusCode, partial.body).toBe(200);
    const before = gw.sink.events.length;
    const res = await run({
      prompt: {
        string: JSON.stringify([
          { role: "system", content: "{{>tone}}" },
          { role: "user", content: "A haiku about {{topic}}" },
        ]),
        model: "gpt-4o-mini",
        parameters: { temperature: 0.3 },
      },
      variables: { topic: "lighthouses" },
      model: "gpt-4.1",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.choices[0].message.content).toContain("A haiku about lighthouses");
    expect(res.body.choices[0].message.content).toContain("model gpt-4.1");
    // No saved version rendered it: no prompt version header, none on the event.
    expect(res.headers["x-portkey-prompt-version"]).toBeUndefined();
    const [event] = (await gw.sink.waitFor(before + 1)).slice(before);
    expect(event).toMatchObject({
      tenant_id: "acme",
      endpoint: "/v1/prompts/completions",
      prompt_id: null,
      prompt_version: null,
      model_requested: "gpt-4.1",
      status_code: 200,
    });
  });

  it("streams like a prompt call", async () => {
    const res = await gw.app.inject({
      method: "POST",
      url: "/v1/prompts/completions",
      headers: { "content-type": "application/json", "x-portkey-api-key": keys.author!, "x-portkey-provider": "mock" },
      payload: JSON.stringify({
        prompt: { string: "Hi {{name}}", model: "m" },
        variables: { name: "Ada" },
        stream: true,
      }),
    });
    expect(res.headers["content-type"]).toContain("text/event-stream");
    expect(res.body).toContain("data: [DONE]");
  });

  it("is checked like a save and a call, each refusal naming its field, before any upstream call", async () => {
    const before = gw.sink.events.length;
    const cases: [unknown, number, string, string][] = [
      [{ variables: {} }, 400, "invalid_request", "prompt"],
      [{ prompt: { string: "" } }, 400, "invalid_request", "prompt.string"],
      [{ prompt: { string: "x", tempreature: 1 } }, 400, "invalid_request", "prompt"],
      [{ prompt: { string: "Hi {{#open}}" } }, 400, "invalid_template", "prompt.string"],
      [{ prompt: { string: "[{}]", template_format: "chat" } }, 400, "invalid_template", "prompt.string"],
      [{ prompt: { string: "Hi {{name}}", model: "m" } }, 400, "missing_variable", "variables.name"],
      [{ prompt: { string: "Hi", model: "m" }, variables: { n: 3 } }, 400, "invalid_request", "variables.n"],
      [{ prompt: { string: "{{>nope}}", model: "m" } }, 400, "invalid_template", "template"],
    ];
    for (const [payload, status, code, param] of cases) {
      const res = await run(payload);
      expect([res.status, res.body.error?.code, res.body.error?.param], JSON.stringify(payload)).toEqual([
        status,
        code,
        param,
      ]);
    }
    // An unknown virtual key in the draft is refused by the routing a saved version gets.
    const vk = await run({ prompt: { string: "Hi", model: "m", virtual_key: "vk-missing" } }, keys.author!, {});
    expect(vk.status).toBeGreaterThanOrEqual(400);
    expect(vk.status).toBeLessThan(500);
    expect(JSON.stringify(vk.body.error)).toContain("vk-missing");
    expect(gw.sink.events.slice(before).every((e) => e.status_code !== 200)).toBe(true);
  });

  it("needs completions and prompts.write; partials are the caller's tenant's only", async () => {
    const denied = await run({ prompt: { string: "Hi", model: "m" } }, keys.caller!);
    expect([denied.status, denied.body.error.message]).toEqual([403, "this API key lacks the prompts.write scope"]);
    const foreign = await run({ prompt: { string: "{{>tone}}", model: "m" } }, keys.globex!);
    expect([foreign.status, foreign.body.error.code]).toEqual([400, "invalid_template"]);
  });

  it("does not shadow a saved prompt's own run path", async () => {
    const created = await gw.app.inject({
      method: "POST",
      url: "/v1/prompts",
      headers: { "content-type": "application/json", "x-portkey-api-key": keys.author! },
      payload: JSON.stringify({ id: "completions", name: "c", string: "Saved {{x}}", model: "m" }),
    });
    expect(created.statusCode, created.body).toBe(200);
    const res = await gw.app.inject({
      method: "POST",
      url: "/v1/prompts/completions/completions",
      headers: { "content-type": "application/json", "x-portkey-api-key": keys.author!, "x-portkey-provider": "mock" },
      payload: JSON.stringify({ variables: { x: "one" } }),
    });
    expect(res.json().choices[0].message.content).toContain("Saved one");
    expect(res.headers["x-portkey-prompt-version"]).toBe("completions@1");
  });
});
