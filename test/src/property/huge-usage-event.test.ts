import { encodeEvent, RequestEvent } from "@switchyard/events";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SETUPS } from "../conformance/support.ts";
import { check } from "./check.ts";
import { type Observation, type PropertyStack, postToOpen, startPropertyStack } from "./harness.ts";

/**
 * Found by the property test (seed 20261207): an upstream reporting a usage whose counts are safe
 * integers but whose PRICE is not — 10^14 input tokens of gpt-4o-mini ($0.15/Mtok) is
 * 1.5 × 10^16 nano-USD, past Number.MAX_SAFE_INTEGER — gets the request answered 200 while its
 * event fails the RequestEvent schema (cost_nano_usd and cost_breakdown.* must be safe integers),
 * so the production sink (gateway/src/event-sink.ts → encodeEvent) logs "event failed
 * validation; not emitted" and drops it. A custom_host lets any client choose the upstream, so
 * any client can make its requests vanish from cost data this way.
 */
let stack: PropertyStack;
beforeAll(async () => {
  stack = await startPropertyStack();
});
afterAll(() => stack?.close());
beforeEach(() => {
  for (const fake of stack.fakes.values()) fake.reset();
});

async function chatWithUsage(input: number, output: number): Promise<Observation> {
  const fake = stack.fakes.get("openai")!;
  fake.usage = { input, output, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
  const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] };
  const config = SETUPS.openai.leaf(fake.baseUrl);
  return (await postToOpen(stack, "/v1/chat/completions", body, config, `huge-usage-${input}-${output}`)).observation;
}

describe("usage whose cost passes 2^53 nano-USD still gives one valid event", () => {
  it.each([
    [1e14, 0],
    [0, 1e14],
    [9e15, 9e15],
  ])("input %d, output %d tokens → answered 200 and recorded", async (input, output) => {
    const o = await chatWithUsage(input, output);
    expect(o.status).toBe(200);
    expect(await check(stack, o)).toEqual([]);
    const event = stack.sinks.open.events.find((e) => e.trace_id === o.traceId)!;
    expect(() => encodeEvent(RequestEvent, event)).not.toThrow();
    expect(Number.isSafeInteger(event.cost_nano_usd)).toBe(true);
  });
});
