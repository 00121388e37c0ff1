import { rm } from "node:fs/promises";
import type { RunningStack } from "@switchyard/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import { chatBody, getJson, pollCosts, pollUntil, startTestStack, tempDir } from "./support.ts";

/** Scenario (a): the embedded stack — gateway → local log → ingest → chdb → analytics API — in one process. */
describe("embedded stack end to end", () => {
  const upstream = new FakeOpenAIUpstream();
  let stack: RunningStack;
  let dataDir: string;
  let gatewayUrl: string;
  let analyticsUrl: string;

  beforeAll(async () => {
    await upstream.start();
    dataDir = await tempDir("e2e-embedded");
    stack = await startTestStack({ DATA_DIR: dataDir, INGEST_FLUSH_INTERVAL_MS: "50" });
    gatewayUrl = stack.gateway!.url;
    analyticsUrl = stack.analytics!.url;
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("shows a request's tokens and cost per user and per model, and finds it by trace id", async () => {
    const sent = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer sk-upstream-key",
        "x-portkey-provider": "openai",
        "x-portkey-custom-host": upstream.baseUrl,
        "x-portkey-trace-id": "e2e-embedded-trace",
        "x-portkey-metadata": JSON.stringify({ _user: "alice" }),
      },
      body: chatBody("hello"),
    });
    expect(sent.status).toBe(200);
    const mock = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-portkey-provider": "mock",
        "x-portkey-metadata": '{"_user":"bob"}',
      },
      body: chatBody("hello mock", { model: "claude-sonnet-4-5" }),
    });
    expect(mock.status).toBe(200);

    const byUser = await pollCosts(analyticsUrl, "group_by=user", (rows) => rows.length === 2);
    const alice = byUser.find((r) => r.key === "alice");
    expect(alice).toMatchObject({ requests: 1, input_tokens: 42, output_tokens: 17 });
    expect(alice?.cost_nano_usd).toBeGreaterThan(0);

    const byModel = await pollCosts(analyticsUrl, "group_by=model", (rows) => rows.length === 2);
    expect(byModel.map((r) => r.key).sort()).toEqual(["claude-sonnet-4-5", "gpt-4o-mini-2024-07-18"]);
    expect(byModel.every((r) => r.cost_nano_usd > 0)).toBe(true);

    const trace = await pollUntil(async () => {
      const { status, body } = await getJson<{ requests: Array<Record<string, unknown>> }>(
        `${analyticsUrl}/v1/traces/e2e-embedded-trace`,
      );
      return status === 200 ? body : undefined;
    }, "trace lookup");
    expect(trace.requests).toHaveLength(1);
    expect(trace.requests[0]).toMatchObject({ trace_id: "e2e-embedded-trace", provider: "openai", user: "alice" });
    expect(trace.requests[0]?.attempts).toEqual([expect.objectContaining({ provider: "openai", status_code: 200 })]);
  });
});
