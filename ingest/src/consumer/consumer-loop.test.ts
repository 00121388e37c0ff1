import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acceptsRequestEvent, encodeEvent, RequestEvent, Topics } from "@switchyard/events";
import { createLogger, EmbeddedEventBus } from "@switchyard/platform";
import { recordUnhandledRejections } from "@switchyard/platform/testing";
import { afterEach, describe, expect, it } from "vitest";
import { requestRow } from "../rows/request-row-binary.ts";
import { makeRequestEvent, pollUntil } from "../testing/index.ts";
import { BatchWriter } from "../writer/batch-writer.ts";
import { startConsumerLoop } from "./consumer-loop.ts";
import { topicRoute } from "./topic-route.ts";

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent", name: "consumer-loop-test" });
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("consumer loop", () => {
  it("a flush that fails while its batch is still being decoded is the batch's failure, never an unhandled rejection", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sy-consumer-loop-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const bus = await EmbeddedEventBus.open({ dataDir: dir, logger });
    cleanups.push(() => bus.close());
    await bus.ensureTopics([{ name: Topics.requests, partitions: 1 }]);
    const events = Array.from({ length: 1_500 }, () => makeRequestEvent());
    await bus.publish(
      Topics.requests,
      events.map((event) => ({ key: event.trace_id, value: encodeEvent(RequestEvent, event) })),
    );

    const unhandled = recordUnhandledRejections();
    cleanups.push(async () => unhandled.stop());

    // An engine that refuses at once (a server that is down): the batch's first slice (500 of 1,500 rows)
    // is flushed, and fails, while the next slices are still to be decoded.
    let sinkCalls = 0;
    const writer = new BatchWriter({
      name: "requests",
      sink: async () => {
        sinkCalls += 1;
        throw new Error("engine refused the insert");
      },
      maxRows: 500,
      lingerMs: 0,
      logger,
    });
    const consumer = await startConsumerLoop({
      bus,
      groupId: "consumer-loop-test",
      fromBeginning: true,
      publishDeadLetters: false,
      logger,
      batchMaxRecords: 1_500,
      routes: [
        topicRoute({
          topic: Topics.requests,
          schema: RequestEvent,
          accepts: acceptsRequestEvent,
          toRow: requestRow,
          writer,
        }),
      ],
    });
    cleanups.push(() => consumer.subscription.stop());

    // Redelivered after the failure: the batch failed as a whole and came back.
    await pollUntil(() => (sinkCalls >= 4 ? true : undefined), "a redelivered batch's flush");
    expect(writer.stats().failedFlushes).toBeGreaterThanOrEqual(4);
    expect(consumer.stats().batches).toBe(0);
    expect(unhandled.reasons).toEqual([]);
  });
});
