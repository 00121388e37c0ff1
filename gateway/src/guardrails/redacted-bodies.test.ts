import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestGateway } from "../test-support.ts";

/**
 * Issue 11 §3: the request body stored with the event is the one sent upstream, after any guardrail
 * redaction — the stored text holds the placeholders, never the values. The mock provider answers
 * with the last user message quoted, so the stored answer shows what upstream saw too.
 */
const gw = buildTestGateway();
let base = "";
beforeAll(async () => {
  base = await gw.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(() => gw.close());

describe("stored bodies after redaction", () => {
  it.each([false, true])("stream %s: the stored request and answer hold the redacted text", async (stream) => {
    gw.sink.events.length = 0;
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-portkey-config": JSON.stringify({ provider: "mock", input_guardrails: [{ pii: { redact: true } }] }),
      },
      body: JSON.stringify({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "mail bob@example.com today" }],
        stream,
      }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const [event] = await gw.sink.waitFor(1);
    const bodies = event?.bodies;
    expect(bodies?.request).toContain("mail {{EMAIL_ADDRESS_1}} today");
    expect(bodies?.response).toContain("{{EMAIL_ADDRESS_1}}");
    expect(JSON.stringify(bodies)).not.toContain("bob@example.com");
  });
});
