// biome-ignore-all lint/suspicious/noThenProperty: conditional routes name their target with the wire key "then".
import { afterAll, describe, expect, it } from "vitest";
import { buildTestGateway, type OpenAIBody } from "./test-support.ts";

// A `$regex` in a conditional config is client-supplied: it must run on a linear-time engine
// (safe-regex/), so the classic catastrophic pattern costs microseconds, not the seconds that
// V8's backtracking RegExp spends on `(a+)+$` against ~30 characters.
const gw = buildTestGateway();
afterAll(() => gw.close());

const conditionalConfig = (regex: string) => ({
  strategy: {
    mode: "conditional",
    conditions: [{ query: { "params.messages.0.content": { $regex: regex } }, then: "matched" }],
    default: "fallthrough",
  },
  targets: [
    { name: "matched", provider: "mock" },
    { name: "fallthrough", provider: "mock" },
  ],
});

function send(regex: string, content: string) {
  return gw.app.inject({
    method: "POST",
    url: "/v1/chat/completions",
    headers: { "content-type": "application/json", "x-portkey-config": JSON.stringify(conditionalConfig(regex)) },
    // A body param, not metadata: metadata values are capped at 128 characters.
    payload: JSON.stringify({ model: "mock-model", messages: [{ role: "user", content }] }),
  });
}

describe("conditional routing with a catastrophic $regex", () => {
  it("answers in well under 100 ms on 10,000 characters and routes on the real match result", async () => {
    await send("^warm-up$", "warm-up"); // first-request costs (route compilation, JIT) are not the regex's

    const started = performance.now();
    const miss = await send("(a+)+$", `${"a".repeat(10_000)}!`);
    const elapsed = performance.now() - started;

    expect(miss.statusCode).toBe(200);
    expect(miss.headers["x-portkey-last-used-option-index"]).toBe("config.targets[1]");
    expect(elapsed).toBeLessThan(100);

    const hit = await send("(a+)+$", "a".repeat(10_000));
    expect(hit.statusCode).toBe(200);
    expect(hit.headers["x-portkey-last-used-option-index"]).toBe("config.targets[0]");
  });

  it("refuses an over-long or unsupported pattern with a 400 naming the config field", async () => {
    const field = 'strategy.conditions[0].query["params.messages.0.content"].$regex';
    for (const [regex, reason] of [
      ["a".repeat(513), "at most 512"],
      ["(a)\\1", "invalid regular expression"],
      ["[\\s\\S]{600}[\\s\\S]{600}", "too complex"],
    ] as const) {
      const response = await send(regex, "x");
      expect(response.statusCode).toBe(400);
      const { error } = response.json<OpenAIBody>();
      expect(error.message).toContain(field);
      expect(error.message).toContain(reason);
    }
  });
});
