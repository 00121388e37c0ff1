import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createGatewayTelemetry } from "../telemetry/index.ts";
import { buildTestGateway, RecordingTelemetry } from "../test-support.ts";

/**
 * A JSON answer's id and finish reasons travel from the provider result to the request span as
 * given facts (telemetry skips re-reading the body); the body still goes along for content capture.
 */
const mem = inMemoryTelemetry({ tracing: true });
const telemetry = new RecordingTelemetry(createGatewayTelemetry(mem.telemetry));
const gw = buildTestGateway({ telemetry });
afterAll(() => gw.close());
beforeEach(() => {
  gw.sink.events.length = 0;
  telemetry.ends.length = 0;
  mem.reset();
});

const headers = { "content-type": "application/json", "x-portkey-provider": "mock" };
const messages = [{ role: "user", content: "hi there" }];

async function post(url: string, payload: object) {
  const res = await gw.app.inject({ method: "POST", url, headers, payload: JSON.stringify(payload) });
  await gw.sink.waitFor(1);
  const span = mem.spans().find((s) => s.parentSpanContext === undefined); // the request span: no incoming trace
  return { res, end: telemetry.ends[0]!, attributes: span?.attributes ?? {} };
}

describe("response facts on the request span", () => {
  it("/v1/chat/completions: the provider's id and finish reasons, given with the body", async () => {
    const { res, end, attributes } = await post("/v1/chat/completions", { model: "gpt-4o-mini", messages });
    const body = res.json() as { id: string };
    expect(end).toMatchObject({ responseId: body.id, finishReasons: ["stop"] });
    expect(end.responseBody?.toString()).toBe(res.body);
    expect(attributes).toMatchObject({
      "gen_ai.response.id": body.id,
      "gen_ai.response.finish_reasons": ["stop"],
    });
  });

  it("/v1/messages: the id and stop reason of the Anthropic message the client got", async () => {
    const { res, end, attributes } = await post("/v1/messages", { model: "gpt-4o-mini", max_tokens: 64, messages });
    const body = res.json() as { id: string; stop_reason: string };
    expect(body.id).toMatch(/^msg_/);
    expect(end).toMatchObject({ responseId: body.id, finishReasons: [body.stop_reason] });
    expect(attributes).toMatchObject({
      "gen_ai.response.id": body.id,
      "gen_ai.response.finish_reasons": ["end_turn"],
    });
  });

  it("a stream leaves them to the chunks", async () => {
    const { end, attributes } = await post("/v1/chat/completions", { model: "gpt-4o-mini", messages, stream: true });
    expect(end).toMatchObject({ responseBody: null, responseId: null, finishReasons: null });
    expect(attributes["gen_ai.response.id"]).toMatch(/^chatcmpl-mock-/);
    expect(attributes["gen_ai.response.finish_reasons"]).toEqual(["stop"]);
  });
});
