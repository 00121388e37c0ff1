import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ConformanceStack, SETUPS, startConformanceStack } from "./support.ts";

/**
 * The Anthropic SDK turns betas on with an `anthropic-beta` header: on /v1/messages it reaches
 * Anthropic as the client sent it, unless the target names its own (`anthropic_beta`), which wins.
 */
let stack: ConformanceStack;
beforeAll(async () => {
  stack = await startConformanceStack();
});
afterAll(() => stack.close());
beforeEach(() => stack.reset());

const BETA = "prompt-caching-2024-07-31,token-efficient-tools-2025-02-19";
const body = { model: SETUPS.anthropic.model, max_tokens: 64, messages: [{ role: "user", content: "hi" }] };

function post(leaf: object, headers: Record<string, string>) {
  return fetch(`${stack.base}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-portkey-config": JSON.stringify(leaf), ...headers },
    body: JSON.stringify(body),
  });
}

describe("/v1/messages: anthropic-beta", () => {
  it("the client's header reaches Anthropic", async () => {
    const res = await post(SETUPS.anthropic.leaf(stack.fake("anthropic").baseUrl), { "anthropic-beta": BETA });
    expect(res.status).toBe(200);
    expect(stack.fake("anthropic").last?.headers["anthropic-beta"]).toBe(BETA);
  });

  it("a target's own anthropic_beta wins over the client's header", async () => {
    const leaf = {
      ...SETUPS.anthropic.leaf(stack.fake("anthropic").baseUrl),
      anthropic_beta: "output-128k-2025-02-19",
    };
    const res = await post(leaf, { "anthropic-beta": BETA });
    expect(res.status).toBe(200);
    expect(stack.fake("anthropic").last?.headers["anthropic-beta"]).toBe("output-128k-2025-02-19");
  });

  it("without the header none is sent", async () => {
    const res = await post(SETUPS.anthropic.leaf(stack.fake("anthropic").baseUrl), {});
    expect(res.status).toBe(200);
    expect(stack.fake("anthropic").last?.headers["anthropic-beta"]).toBeUndefined();
  });
});
