import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createGatewayTelemetry } from "../telemetry/index.ts";
import { buildTestGateway } from "../test-support.ts";
import type { PipelineCustomizer } from "./pipeline.ts";
import { type BodyCaptureSettings, captureAttemptBody, captureBodies } from "./stages/capture-bodies.ts";

const headers = { "content-type": "application/json", "x-portkey-provider": "mock" };
const chat = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "what is 2+2?" }], ...extra });

/** The default chains with the capture stages built from `settings` instead of the defaults. */
function withCapture(settings: BodyCaptureSettings): PipelineCustomizer {
  return {
    request: (stages) => stages.map((s) => (s.name === "capture-bodies" ? captureBodies(settings) : s)),
    attempt: (stages) => stages.map((s) => (s.name === "capture-attempt-body" ? captureAttemptBody(settings) : s)),
  };
}

describe("prompt and answer capture", () => {
  const gw = buildTestGateway();
  const small = buildTestGateway({
    pipeline: withCapture({ enabled: true, maxChars: 40, disabledTenants: new Set() }),
  });
  const optedOut = buildTestGateway({
    pipeline: withCapture({ enabled: true, maxChars: 1000, disabledTenants: new Set(["default"]) }),
  });
  afterAll(async () => {
    await Promise.all([gw.close(), small.close(), optedOut.close()]);
  });
  beforeEach(() => {
    for (const g of [gw, small, optedOut]) g.sink.events.length = 0;
  });

  it("stores the body sent upstream (override_params applied) and the answer, on by default", async () => {
    const config = JSON.stringify({ provider: "mock", override_params: { temperature: 0.25 } });
    const response = await gw.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { ...headers, "x-portkey-config": config },
      payload: chat(),
    });
    expect(response.statusCode).toBe(200);
    const [event] = await gw.sink.waitFor(1);
    expect(event?.bodies?.truncated).toBe(false);
    expect(JSON.parse(event!.bodies!.request)).toMatchObject({
      model: "gpt-4o-mini",
      temperature: 0.25,
      messages: [{ role: "user", content: "what is 2+2?" }],
    });
    expect(JSON.parse(event!.bodies!.response)).toEqual(response.json());
  });

  it("assembles a streamed answer into one completion", async () => {
    const response = await gw.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers,
      payload: chat({ stream: true }),
    });
    const streamed = response.body
      .split("\n")
      .filter((line) => line.startsWith("data: {"))
      .map((line) => JSON.parse(line.slice(6)).choices[0]?.delta?.content ?? "")
      .join("");
    const [event] = await gw.sink.waitFor(1);
    const answer = JSON.parse(event!.bodies!.response);
    expect(answer).toMatchObject({ object: "chat.completion", assembled_from_stream: true });
    expect(answer.choices[0].message.content).toBe(streamed);
    expect(streamed.length).toBeGreaterThan(0);
    expect(answer.choices[0].finish_reason).toBe("stop");
  });

  it("is off for a request sending x-portkey-debug: false, and for an opted-out tenant", async () => {
    await gw.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { ...headers, "x-portkey-debug": "false" },
      payload: chat(),
    });
    expect((await gw.sink.waitFor(1))[0]?.bodies).toBeNull();
    await optedOut.app.inject({ method: "POST", url: "/v1/chat/completions", headers, payload: chat() });
    expect((await optedOut.sink.waitFor(1))[0]?.bodies).toBeNull();
  });

  it("caps each body with a visible marker", async () => {
    await small.app.inject({ method: "POST", url: "/v1/chat/completions", headers, payload: chat() });
    const [event] = await small.sink.waitFor(1);
    expect(event?.bodies?.truncated).toBe(true);
    const sent = chat().length;
    expect(event?.bodies?.request.length).toBeLessThan(sent + 100);
    expect(event?.bodies?.request).toBe(
      `${chat().slice(0, 40)}\n…[truncated by Switchyard: ${sent} characters in all]`,
    );
    expect(event?.bodies?.response).toMatch(/^.{40}\n…\[truncated by Switchyard: \d+ characters in all\]$/s);
  });

  it("puts bodies in the event only: no span attribute or metric carries them", async () => {
    const mem = inMemoryTelemetry({ tracing: true });
    const traced = buildTestGateway({ telemetry: createGatewayTelemetry(mem.telemetry) });
    try {
      const secretPrompt = "my-unique-prompt-text-4711";
      const payload = JSON.stringify({
        model: "gpt-4o-mini",
        stream: true,
        messages: [{ role: "user", content: secretPrompt }],
      });
      await traced.app.inject({ method: "POST", url: "/v1/chat/completions", headers, payload });
      const [event] = await traced.sink.waitFor(1);
      expect(event?.bodies?.request).toContain(secretPrompt);
      const answer = JSON.parse(event!.bodies!.response).choices[0].message.content as string;
      expect(answer).toContain(secretPrompt);
      expect(mem.spans().length).toBeGreaterThan(0);
      const spanText = JSON.stringify(mem.spans().map((span) => [span.attributes, span.events]));
      expect(spanText).not.toContain(secretPrompt);
      expect(JSON.stringify(await mem.metrics())).not.toContain(secretPrompt);
    } finally {
      await traced.close();
      await mem.telemetry.shutdown();
    }
  });

  it("keeps the prompt of a request refused before any upstream call", async () => {
    const config = JSON.stringify({ provider: "no-such-provider" });
    const response = await gw.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { ...headers, "x-portkey-config": config },
      payload: chat(),
    });
    expect(response.statusCode).toBe(400);
    const [event] = await gw.sink.waitFor(1);
    expect(event?.bodies).toEqual({ request: expect.stringContaining("what is 2+2?"), response: "", truncated: false });
  });
});
