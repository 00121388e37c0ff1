import { rm } from "node:fs/promises";
import type { RunningStack } from "@switchyard/stack";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FakeOpenAIUpstream } from "../fakes/openai-upstream.ts";
import {
  chatBody,
  getJson,
  pollCosts,
  pollUntil,
  type StackProcess,
  spawnStack,
  startTestStack,
  stopProcess,
  tempDir,
  uniqueId,
} from "./support.ts";

/**
 * Scenario (b): the distributed shape over the real Kafka broker — the gateway in this process
 * publishes to Kafka; ingest and the analytics API run as a separate process in their own consumer group.
 */
describe("gateway → Kafka → separate ingest process → analytics", () => {
  const brokers = inject("kafkaBrokers");
  const tenant = uniqueId("tenant-kafka");
  const upstream = new FakeOpenAIUpstream();
  let gatewayStack: RunningStack;
  let consumer: StackProcess;
  let gatewayDir: string;
  let consumerDir: string;

  beforeAll(async () => {
    await upstream.start();
    gatewayDir = await tempDir("e2e-kafka-gw");
    consumerDir = await tempDir("e2e-kafka-consumer");
    // Its own control topic: keys other suites create on this broker would end its open local-dev mode.
    const common = {
      KAFKA_BROKERS: brokers,
      SWITCHYARD_DEFAULT_TENANT: tenant,
      SWITCHYARD_CONTROL_TOPIC: uniqueId("control"),
    };
    gatewayStack = await startTestStack({ ...common, DATA_DIR: gatewayDir, SWITCHYARD_SERVICES: "gateway" });
    consumer = await spawnStack({
      ...common,
      DATA_DIR: consumerDir,
      SWITCHYARD_SERVICES: "ingest,analytics",
      INGEST_GROUP_ID: uniqueId("ingest-e2e"),
      INGEST_FLUSH_INTERVAL_MS: "50",
    });
  });
  afterAll(async () => {
    if (consumer) await stopProcess(consumer.child);
    await gatewayStack?.stop();
    await upstream.stop();
    await rm(gatewayDir, { recursive: true, force: true });
    await rm(consumerDir, { recursive: true, force: true });
  });

  it("lands each request in the separate consumer's store, grouped by user and model, and by trace", async () => {
    expect(gatewayStack.bus.kind).toBe("kafka");
    const gatewayUrl = gatewayStack.gateway!.url;
    const traceIds: string[] = [];
    for (const user of ["carol", "dave", "carol"]) {
      const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: "Bearer sk-upstream-key",
          "x-portkey-custom-host": upstream.baseUrl,
          "x-portkey-metadata": JSON.stringify({ _user: user }),
        },
        body: chatBody(`hi from ${user}`, user === "dave" ? { stream: true } : {}),
      });
      expect(res.status).toBe(200);
      await res.text();
      traceIds.push(res.headers.get("x-portkey-trace-id")!);
    }
    const analytics = consumer.analyticsUrl!;
    const byUser = await pollCosts(
      analytics,
      `group_by=user&tenant_id=${tenant}`,
      (rows) => rows.reduce((n, r) => n + r.requests, 0) === 3,
    );
    expect(Object.fromEntries(byUser.map((r) => [r.key, r.requests]))).toEqual({ carol: 2, dave: 1 });
    expect(byUser.every((r) => r.cost_nano_usd > 0)).toBe(true);
    const byModel = await pollCosts(analytics, `group_by=model&tenant_id=${tenant}`, (rows) => rows.length > 0);
    expect(byModel).toEqual([
      expect.objectContaining({ key: "gpt-4o-mini-2024-07-18", requests: 3, input_tokens: 126 }),
    ]);

    const trace = await pollUntil(async () => {
      const { status, body } = await getJson<{ requests: Array<{ stream: boolean; tenant_id: string }> }>(
        `${analytics}/v1/traces/${traceIds[1]}`,
      );
      return status === 200 ? body : undefined;
    }, "trace lookup over Kafka");
    expect(trace.requests).toEqual([expect.objectContaining({ stream: true, tenant_id: tenant })]);
  });
});
