import { inMemoryTelemetry } from "@switchyard/platform/telemetry-testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGatewayTelemetry } from "../telemetry/index.ts";
import { buildTestGateway } from "../test-support.ts";
import { createGuardrailMetrics } from "./guardrail-metrics.ts";

/** A span per hook (id, stage, verdict) on the request's trace; metrics by guardrail id and verdict. */
describe("guardrail telemetry", () => {
  const mem = inMemoryTelemetry();
  const gw = buildTestGateway({ telemetry: createGatewayTelemetry(mem.telemetry) });
  let base = "";
  beforeAll(async () => {
    base = await gw.app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(() => gw.close());

  it("one switchyard.guardrail span per hook, child of the request span, with its verdict", async () => {
    const config = {
      provider: "mock",
      input_guardrails: [{ id: "fine", "default.wordCount": { maxWords: 50 } }],
      output_guardrails: [{ id: "picky", "default.contains": { words: ["never said"] } }],
    };
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-portkey-config": JSON.stringify(config) },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(246);
    await gw.sink.waitFor(1);
    const spans = mem.spans().filter((s) => s.name === "switchyard.guardrail");
    expect(spans.map((s) => s.attributes)).toEqual([
      expect.objectContaining({
        "switchyard.guardrail.id": "fine",
        "switchyard.guardrail.stage": "input",
        "switchyard.guardrail.verdict": "pass",
      }),
      expect.objectContaining({
        "switchyard.guardrail.id": "picky",
        "switchyard.guardrail.stage": "output",
        "switchyard.guardrail.verdict": "fail",
      }),
    ]);
    const traceIds = new Set(mem.spans().map((s) => s.spanContext().traceId));
    expect(traceIds.size).toBe(1);
  });

  it("counts hook runs by guardrail id, stage and verdict; ids past the cap are _OTHER", async () => {
    const metrics = createGuardrailMetrics(mem.telemetry.meter("guardrail-test"));
    metrics.hook("pii", "before", "deny", 0.001);
    metrics.hook("pii", "before", "deny", 0.002);
    metrics.hook("pii", "after", "pass", 0.001);
    for (let i = 0; i < 250; i++) metrics.hook(`generated-${i}`, "before", "pass", 0);
    const collected = await mem.metrics();
    const hooks = collected.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === "switchyard.gateway.guardrail.hooks");
    const points = (hooks?.dataPoints ?? []).map((p) => [p.attributes, p.value]);
    expect(points).toContainEqual([
      {
        "switchyard.guardrail.id": "pii",
        "switchyard.guardrail.stage": "input",
        "switchyard.guardrail.verdict": "deny",
      },
      2,
    ]);
    expect(points).toContainEqual([
      {
        "switchyard.guardrail.id": "_OTHER",
        "switchyard.guardrail.stage": "input",
        "switchyard.guardrail.verdict": "pass",
      },
      51, // 200 ids keep a series: pii and the first 199 generated ones
    ]);
    expect(points.length).toBe(202);
  });
});
