import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminTestHarness, type TestGateway } from "../admin/admin-test-support.ts";

/**
 * Prompts end to end inside one gateway app over a real control plane (embedded log): the
 * Portkey-shaped admin API, rendering (variables, sections, partials, versions, labels), the
 * pipeline (mock provider; the event records the prompt), bad input before any upstream call.
 */

let harness: AdminTestHarness;
let gw: TestGateway;

beforeAll(async () => {
  harness = await AdminTestHarness.open();
  gw = await harness.gateway();
});
afterAll(() => harness.close());

const json = (method: InjectOptions["method"], url: string, payload?: unknown, headers = {}): InjectOptions => ({
  method,
  url,
  headers: { "content-type": "application/json", "x-portkey-provider": "mock", ...headers },
  ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
});

async function call(method: InjectOptions["method"], url: string, payload?: unknown, headers = {}) {
  const res = await gw.app.inject(json(method, url, payload, headers));
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

const chatTemplate = (content: string) => JSON.stringify([{ role: "user", content }]);

describe("prompt registry", () => {
  it("creates, versions, publishes and labels a prompt; each id form renders its version", async () => {
    const created = await call("POST", "/v1/prompts", {
      name: "greeter",
      collection_id: "ignored",
      string: chatTemplate("Hello {{name}}{{#vip}}, our VIP{{/vip}}{{^vip}}, guest{{/vip}}"),
      parameters: { temperature: 0.2, max_tokens: 50 },
      model: "gpt-4o-mini",
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ object: "prompt", version_id: `${created.body.id}@1` });
    const id = created.body.id as string;
    expect(id).toMatch(/^pp-/);

    const v2 = await call("PUT", `/v1/prompts/${id}`, { string: chatTemplate("Hi {{name}}, v2") });
    expect(v2.body.version_id).toBe(`${id}@2`);
    const render = (ref: string, variables: Record<string, unknown> = { name: "Ada" }) =>
      call("POST", `/v1/prompts/${ref}/render`, { variables });

    // The bare id is the published (default) version: still 1. @latest is 2.
    expect((await render(id)).body).toEqual({
      success: true,
      data: expect.objectContaining({
        model: "gpt-4o-mini",
        temperature: 0.2,
        max_tokens: 50,
        messages: [{ role: "user", content: "Hello Ada, guest" }],
      }),
    });
    expect((await render(`${id}@latest`)).body.data.messages[0].content).toBe("Hi Ada, v2");
    expect((await render(id, { name: "Bo", vip: "yes" })).body.data.messages[0].content).toBe("Hello Bo, our VIP");
    // v2 inherits the saved parameters it did not change.
    expect((await render(`${id}@2`)).body.data).toMatchObject({ temperature: 0.2, model: "gpt-4o-mini" });

    expect((await call("PUT", `/v1/prompts/${id}/makeDefault`, { version: 2 })).status).toBe(200);
    expect((await render(id)).body.data.messages[0].content).toBe("Hi Ada, v2");

    const label = await call("PUT", `/v1/prompts/${id}/versions/${id}@1`, { label_id: "staging" });
    expect(label.body).toMatchObject({ labels: ["staging"], prompt_version: 1 });
    expect((await render(`${id}@staging`)).body.data.messages[0].content).toBe("Hello Ada, guest");

    const versions = await call("GET", `/v1/prompts/${id}/versions`);
    expect(versions.body.data.map((v: { prompt_version: number }) => v.prompt_version)).toEqual([1, 2]);
    const listed = await call("GET", "/v1/prompts?search=GREET&page_size=5");
    expect(listed.body.data.map((p: { id: string }) => p.id)).toEqual([id]);
    expect((await call("GET", "/v1/prompts?page_size=5000")).body.error.param).toBe("page_size");

    expect((await render(`${id}@production`)).body.error).toMatchObject({
      code: "prompt_not_found",
      param: "prompt_id",
    });
    expect((await render(`${id}@7`)).status).toBe(404);
    expect((await render("pp-nope")).status).toBe(404);

    expect((await call("DELETE", `/v1/prompts/${id}`)).body).toMatchObject({ id, deleted: true });
    expect((await render(`${id}@staging`)).body.error).toMatchObject({ code: "prompt_not_found" });
    expect((await call("GET", `/v1/prompts/${id}/versions`)).status).toBe(404);
  });

  it("runs a prompt through the pipeline; root params override saved ones; the event records the prompt", async () => {
    const { body } = await call("POST", "/v1/prompts", {
      name: "summarise",
      string: "Summarise: {{text}}",
      model: "gpt-4o-mini",
      parameters: { temperature: 0.9 },
    });
    const before = gw.sink.events.length;
    const res = await call("POST", `/v1/prompts/${body.id}/completions`, {
      variables: { text: "the sea" },
      model: "gpt-4.1",
      stream: false,
    });
    expect(res.status).toBe(200);
    expect(res.body.object).toBe("chat.completion");
    expect(res.body.choices[0].message.content).toContain('You said: "Summarise: the sea"');
    expect(res.body.choices[0].message.content).toContain("model gpt-4.1");
    const [event] = (await gw.sink.waitFor(before + 1)).slice(before);
    expect(event).toMatchObject({
      prompt_id: body.id,
      prompt_version: 1,
      model_requested: "gpt-4.1",
      status_code: 200,
    });

    const streamed = await gw.app.inject(
      json("POST", `/v1/prompts/${body.id}/completions`, { variables: { text: "waves" }, stream: true }),
    );
    expect(streamed.headers["content-type"]).toContain("text/event-stream");
    expect(streamed.body).toContain("chat.completion.chunk");
    expect(streamed.body).toContain("data: [DONE]");
  });

  it("partials: published, pinned and @latest versions; unknown and looping partials are 400s naming them", async () => {
    const partial = await call("POST", "/v1/prompts/partials", { name: "sig", string: "-- {{team}} v1" });
    const pid = partial.body.id as string;
    await call("PUT", `/v1/prompts/partials/${pid}`, { string: "-- {{team}} v2" });
    const { body } = await call("POST", "/v1/prompts", {
      name: "with-partial",
      string: `Hi. {{>${pid}}} / {{>${pid}@latest}}`,
      model: "m",
    });
    const rendered = await call("POST", `/v1/prompts/${body.id}/render`, { variables: { team: "ops" } });
    expect(rendered.body.data.messages[0].content).toBe("Hi. -- ops v1 / -- ops v2");

    const missing = await call("POST", "/v1/prompts", { name: "broken", string: "{{>pl-missing}}", model: "m" });
    const bad = await call("POST", `/v1/prompts/${missing.body.id}/render`, {});
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("partial pl-missing does not exist");

    await call("POST", "/v1/prompts/partials", { id: "loop-a", name: "a", string: "a {{>loop-b}}" });
    await call("POST", "/v1/prompts/partials", { id: "loop-b", name: "b", string: "b {{>loop-a}}" });
    const looping = await call("POST", "/v1/prompts", { name: "loop", string: "{{>loop-a}}", model: "m" });
    const loop = await call("POST", `/v1/prompts/${looping.body.id}/render`, {});
    expect(loop.status).toBe(400);
    expect(loop.body.error.message).toContain("partial loop: loop-a → loop-b → loop-a");
  });

  it("fallback between prompts: the second prompt answers when the first target's upstream is down; the event names it", async () => {
    const first = await call("POST", "/v1/prompts", { name: "first", string: "First {{q}}", model: "m-1" });
    const second = await call("POST", "/v1/prompts", { name: "second", string: "Second {{q}}", model: "m-2" });
    const config = {
      strategy: { mode: "fallback" },
      targets: [
        // Nothing listens on port 1: a network failure, then the next target.
        { prompt_id: first.body.id, provider: "openai", api_key: "sk-unused", custom_host: "http://127.0.0.1:1" },
        { prompt_id: `${second.body.id}@latest`, provider: "mock" },
      ],
    };
    const before = gw.sink.events.length;
    const res = await call(
      "POST",
      `/v1/prompts/${first.body.id}/completions`,
      { variables: { q: "why" } },
      { "x-portkey-config": JSON.stringify(config) },
    );
    expect(res.status).toBe(200);
    expect(res.body.choices[0].message.content).toContain('model m-2. You said: "Second why"');
    expect(res.headers["x-portkey-last-used-option-index"]).toBe("config.targets[1]");
    const [event] = (await gw.sink.waitFor(before + 1)).slice(before);
    expect(event).toMatchObject({
      prompt_id: second.body.id,
      prompt_version: 1,
      status_code: 200,
      model_requested: "m-2",
    });
    expect(event?.attempts.map((a) => a.status_code)).toEqual([502, 200]);
  });

  it("bad input is refused before any upstream call, naming the problem", async () => {
    const unparsable = await call("POST", "/v1/prompts", { name: "x", string: "{{#open}} never closed", model: "m" });
    expect(unparsable.status).toBe(400);
    expect(unparsable.body.error).toMatchObject({ code: "invalid_template", param: "string" });

    const { body } = await call("POST", "/v1/prompts", { name: "needs", string: "Dear {{person.name}}", model: "m" });
    const before = gw.sink.events.length;
    const missing = await call("POST", `/v1/prompts/${body.id}/completions`, { variables: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "missing_variable", param: "variables.person.name" });
    const notObject = await call("POST", `/v1/prompts/${body.id}/completions`, { variables: { person: null } });
    expect(notObject.status).toBe(400);
    expect(notObject.body.error.param).toBe("variables.person");
    const aNumber = await call("POST", `/v1/prompts/${body.id}/completions`, { variables: { person: 5 } });
    expect(aNumber.body.error).toMatchObject({ code: "invalid_request", param: "variables.person" });
    // Refusals are recorded like any answered request, with no upstream attempt.
    const events = (await gw.sink.waitFor(before + 3)).slice(before);
    expect(events.map((e) => [e.status_code, e.attempts.length])).toEqual([
      [400, 0],
      [400, 0],
      [400, 0],
    ]);
  });
});
