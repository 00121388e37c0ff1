import { rm } from "node:fs/promises";
import { Topics } from "@switchyard/events";
import type { RunningStack } from "@switchyard/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaBroker } from "../kafka/broker.ts";
import { chatBody, pollCosts, pollUntil, startTestStack, tempDir, uniqueId } from "./support.ts";

/**
 * Scenario (d): the broker goes down while the gateway serves 500 requests. The gateway keeps
 * answering (events spool to disk), and after the broker returns every event lands exactly once.
 */
describe("Kafka outage while the gateway serves traffic", () => {
  const broker = new KafkaBroker();
  const tenant = uniqueId("tenant-outage");
  const groupId = uniqueId("ingest-outage");
  let stack: RunningStack;
  let dataDir: string;

  beforeAll(async () => {
    await broker.start();
    dataDir = await tempDir("e2e-outage");
    stack = await startTestStack({
      DATA_DIR: dataDir,
      KAFKA_BROKERS: broker.brokers,
      SWITCHYARD_DEFAULT_TENANT: tenant,
      INGEST_GROUP_ID: groupId,
      INGEST_FLUSH_INTERVAL_MS: "50",
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await broker.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("loses nothing and duplicates nothing across the outage", { timeout: 180_000 }, async () => {
    await broker.stop();
    const gatewayUrl = stack.gateway!.url;
    const statuses: number[] = [];
    for (let batch = 0; batch < 10; batch += 1) {
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fetch(`${gatewayUrl}/v1/chat/completions`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-portkey-provider": "mock",
              "x-portkey-metadata": JSON.stringify({ _user: `user-${(batch * 50 + i) % 5}` }),
            },
            body: chatBody(`request ${batch * 50 + i}`),
          }),
        ),
      );
      for (const res of responses) {
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(500);
    expect(stack.publisher!.stats().spooledRecords + stack.publisher!.stats().queueDepth).toBeGreaterThan(0);

    await broker.start();
    const analytics = stack.analytics!.url;
    const total = (rows: { requests: number }[]) => rows.reduce((n, r) => n + r.requests, 0);
    const landed = await pollCosts(
      analytics,
      `group_by=user&tenant_id=${tenant}`,
      (rows) => total(rows) >= 500,
      120_000,
    );
    expect(total(landed)).toBe(500);
    // Once the group has committed up to the end of the log, nothing else can arrive: re-check then.
    await pollUntil(
      async () => {
        const [ends, committed] = await Promise.all([
          stack.bus.endOffsets(Topics.requests),
          stack.bus.committedOffsets(groupId, Topics.requests),
        ]);
        return [...ends].every(([p, end]) => BigInt(committed.get(p) ?? "0") >= BigInt(end)) ? true : undefined;
      },
      "ingest to commit the whole log",
      60_000,
    );
    const settled = await pollCosts(analytics, `group_by=user&tenant_id=${tenant}`, () => true);
    expect(total(settled)).toBe(500);
    expect(landed.map((r) => [r.key, r.requests]).sort()).toEqual([
      ["user-0", 100],
      ["user-1", 100],
      ["user-2", 100],
      ["user-3", 100],
      ["user-4", 100],
    ]);
    expect(stack.publisher!.stats()).toMatchObject({ spooledRecords: 0, lost: 0 });
  });
});
