// biome-ignore-all lint/suspicious/noThenProperty: conditional routes name their target with the wire key "then".
import { afterAll, describe, expect, it } from "vitest";
import { buildTestGateway } from "../test-support.ts";

/** /v1/messages is routed on the Anthropic body the client sent (params.*), like every endpoint on its own body. */
const gw = buildTestGateway();
afterAll(() => gw.close());

const config = {
  strategy: {
    mode: "conditional",
    conditions: [{ query: { "params.max_tokens": { $gte: 1000 } }, then: "big" }],
    default: "small",
  },
  targets: [
    { name: "big", provider: "mock" },
    { name: "small", provider: "mock" },
  ],
};

async function send(maxTokens: number) {
  return gw.app.inject({
    method: "POST",
    url: "/v1/messages",
    headers: { "content-type": "application/json", "x-portkey-config": JSON.stringify(config) },
    payload: { model: "gpt-4o-mini", max_tokens: maxTokens, messages: [{ role: "user", content: "hi" }] },
  });
}

describe("/v1/messages and conditional routing", () => {
  it("matches params.* against the client's Messages body", async () => {
    const big = await send(4096);
    const small = await send(64);
    expect(big.statusCode).toBe(200);
    expect(big.headers["x-portkey-last-used-option-index"]).toBe("config.targets[0]");
    expect(small.headers["x-portkey-last-used-option-index"]).toBe("config.targets[1]");
  });
});
