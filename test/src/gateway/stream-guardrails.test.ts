import { buildTestGateway } from "@switchyard/gateway/testing";
import OpenAI from "openai";
import { Portkey } from "portkey-ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Output redaction on streams with the unmodified openai and portkey-ai SDKs (strict clients: no
 * extra events, the chunks they read are rewritten). The mock provider streams its answer word by
 * word and quotes the prompt, so the phone number below spans three chunks.
 */
const gw = buildTestGateway();
let base = "";
beforeAll(async () => {
  base = await gw.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(() => gw.close());

const config = { provider: "mock", output_guardrails: [{ id: "scrub", pii: { redact: true } }] };
const messages = [{ role: "user" as const, content: "call +1 415-555-0132 today" }];

describe("output redaction on streams through the SDKs", () => {
  it("openai SDK: the streamed text holds the placeholder, never the number", async () => {
    const client = new OpenAI({
      apiKey: "unused",
      baseURL: `${base}/v1`,
      defaultHeaders: { "x-portkey-config": JSON.stringify(config) },
    });
    let text = "";
    for await (const chunk of await client.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true })) {
      text += chunk.choices[0]?.delta?.content ?? "";
    }
    expect(text).toContain('"call {{PHONE_NUMBER_1}} today');
    expect(text).not.toContain("555-0132");
  });

  it("portkey-ai SDK: the same, with the config as the SDK sends it", async () => {
    const portkey = new Portkey({ apiKey: "unused", baseURL: `${base}/v1`, config });
    let text = "";
    const stream = await portkey.chat.completions.create({ model: "gpt-4o-mini", messages, stream: true });
    for await (const chunk of stream) text += chunk.choices?.[0]?.delta?.content ?? "";
    expect(text).toContain("{{PHONE_NUMBER_1}}");
    expect(text).not.toContain("555-0132");
  });
});
