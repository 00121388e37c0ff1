import { createServer } from "node:net";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { BusMessage } from "../event-bus.ts";
import { quietLogger, uniqueName, waitFor } from "../test-support.ts";
import { KafkaEventBus } from "./kafka-event-bus.ts";

const brokers = inject("kafkaBrokers").split(",");
const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
let bus: KafkaEventBus;

beforeAll(() => {
  process.on("warning", onWarning);
  bus = new KafkaEventBus({
    brokers,
    clientId: "bus-test",
    logger: quietLogger,
    retryBackoff: { initialMs: 20, maxMs: 100 },
    maxWaitTimeMs: 200,
  });
});

afterAll(async () => {
  await bus.close();
  process.off("warning", onWarning);
});

function encode(body: unknown): Buffer {
  return Buffer.from(JSON.stringify(body));
}

describe("KafkaEventBus on a real broker", () => {
  it("publishes, delivers every record in per-key order and commits after the handler", async () => {
    const topic = uniqueName("requests");
    await bus.ensureTopics([{ name: topic, partitions: 3 }]);
    await bus.ensureTopics([{ name: topic, partitions: 3 }]); // already existing is fine
    const keys = ["trace-a", "trace-b", "trace-c", "trace-d"];
    for (let seq = 0; seq < 5; seq += 1) {
      await bus.publish(
        topic,
        keys.map((key) => ({ key, value: encode({ key, seq }), headers: { "content-type": "application/json" } })),
      );
    }
    const seen: BusMessage[] = [];
    const groupId = uniqueName("ingest");
    const subscription = await bus.subscribe({
      groupId,
      topics: [topic],
      fromBeginning: true,
      handleBatch: async (batch) => {
        seen.push(...batch.messages);
      },
    });
    await waitFor("20 records", () => seen.length >= 20);
    for (const key of keys) {
      const mine = seen.filter((m) => m.key === key);
      expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
      expect(mine.map((m) => JSON.parse(m.value!.toString()).seq)).toEqual([0, 1, 2, 3, 4]);
    }
    expect(seen[0]!.headers).toEqual({ "content-type": "application/json" });
    const ends = await bus.endOffsets(topic);
    await waitFor("committed offsets to reach the end offsets", async () => {
      const committed = await bus.committedOffsets(groupId, topic);
      return [...ends].every(([p, end]) => end === "0" || committed.get(p) === end);
    });
    await subscription.stop();
    expect(seen.length).toBe(20);
  });

  it("redelivers a failed batch from its first offset and commits only once it succeeds", async () => {
    const topic = uniqueName("flaky");
    await bus.ensureTopics([{ name: topic, partitions: 1 }]);
    await bus.publish(
      topic,
      [1, 2, 3].map((i) => ({ key: "k", value: encode({ i }) })),
    );
    const groupId = uniqueName("flaky-group");
    const firstOffsets: string[] = [];
    const committedWhileFailing: number[] = [];
    const subscription = await bus.subscribe({
      groupId,
      topics: [topic],
      fromBeginning: true,
      handleBatch: async (batch) => {
        firstOffsets.push(batch.messages[0]!.offset);
        if (firstOffsets.length <= 2) {
          committedWhileFailing.push((await bus.committedOffsets(groupId, topic)).size);
          throw new Error("downstream unavailable");
        }
      },
    });
    await waitFor("the commit after the successful delivery", async () => {
      return (await bus.committedOffsets(groupId, topic)).get(0) === "3";
    });
    await subscription.stop();
    expect(firstOffsets.slice(0, 3)).toEqual(["0", "0", "0"]);
    expect(committedWhileFailing).toEqual([0, 0]);
  });

  it("creates compacted topics with cleanup.policy=compact", async () => {
    const topic = uniqueName("control");
    await bus.ensureTopics([{ name: topic, partitions: 1, compacted: true }]);
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const described = await admin.describeConfigs({
      resources: [{ type: 2, name: topic, configNames: ["cleanup.policy"] }],
      includeSynonyms: false,
    });
    await admin.disconnect();
    expect(described.resources[0]!.configEntries[0]!.configValue).toBe("compact");
  });

  it("fails fast when no broker answers, so the caller can spool", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const down = new KafkaEventBus({ brokers: [`127.0.0.1:${port}`], clientId: "down", logger: quietLogger });
    const started = Date.now();
    await expect(down.publish("anything", [{ key: "k", value: encode(1) }])).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
    await down.close();
  });

  it("never triggers Node's TimeoutNegativeWarning", () => {
    expect(warnings.filter((w) => w.name === "TimeoutNegativeWarning")).toEqual([]);
  });
});
