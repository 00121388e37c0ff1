import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MessageBatch } from "../event-bus.ts";
import { quietLogger, tempDir, waitFor } from "../test-support.ts";
import { EmbeddedEventBus } from "./embedded-event-bus.ts";

const TOPIC = "llm.requests.v1";
let dir: { path: string; remove: () => Promise<void> };
let bus: EmbeddedEventBus;

beforeEach(async () => {
  dir = await tempDir("batches-in-flight");
  bus = await EmbeddedEventBus.open({
    dataDir: dir.path,
    logger: quietLogger,
    retryBackoff: { initialMs: 5, maxMs: 20 },
  });
  await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
  await bus.publish(
    TOPIC,
    Array.from({ length: 30 }, (_, i) => ({ key: "k", value: Buffer.from(String(i)) })),
  );
});

afterEach(async () => {
  await bus.close();
  await dir.remove();
});

/** A handler whose batches stay open until the test releases them, in any order. */
function heldHandler(fail: (batch: MessageBatch, call: number) => boolean = () => false) {
  const calls: Array<{ first: string; release: () => void }> = [];
  let open = 0;
  let maxOpen = 0;
  return {
    calls,
    maxOpen: () => maxOpen,
    handleBatch: (batch: MessageBatch) =>
      new Promise<void>((resolve, reject) => {
        open += 1;
        maxOpen = Math.max(maxOpen, open);
        const call = calls.length;
        calls.push({
          first: batch.messages[0]!.offset,
          release: () => {
            open -= 1;
            if (fail(batch, call)) reject(new Error(`batch ${call} failed`));
            else resolve();
          },
        });
      }),
  };
}

/** Group "g" from the beginning, 10 records per batch, two batches in flight. */
const subscribeTwoInFlight = (handleBatch: (batch: MessageBatch) => Promise<void>) =>
  bus.subscribe({
    groupId: "g",
    topics: [TOPIC],
    fromBeginning: true,
    maxBatchRecords: 10,
    maxBatchesInFlight: 2,
    handleBatch,
  });

const committed = async (group: string) => Number((await bus.committedOffsets(group, TOPIC)).get(0) ?? 0);

describe("maxBatchesInFlight (embedded log)", () => {
  it("hands the next batch over while the last is still handled, and commits only in order", async () => {
    const h = heldHandler();
    const sub = await subscribeTwoInFlight(h.handleBatch);
    await waitFor("two batches in flight", () => h.calls.length === 2);
    expect(h.calls.map((c) => c.first)).toEqual(["0", "10"]);
    // The second finishes first: nothing may be committed past the first, which is still open.
    h.calls[1]!.release();
    expect(h.calls.length).toBe(2); // a third is not handed over while the oldest is open
    expect(await committed("g")).toBe(0);
    h.calls[0]!.release();
    await waitFor("third batch", () => h.calls.length === 3);
    await waitFor("both committed", async () => (await committed("g")) === 20);
    h.calls[2]!.release();
    await waitFor("all committed", async () => (await committed("g")) === 30);
    expect(h.maxOpen()).toBe(2);
    await sub.stop();
  });

  it("redelivers from the failed batch, later batches included, once every batch in flight settled", async () => {
    const h = heldHandler((_, call) => call === 0);
    const sub = await subscribeTwoInFlight(h.handleBatch);
    await waitFor("two batches in flight", () => h.calls.length === 2);
    h.calls[0]!.release(); // fails
    // No redelivery while the later batch is still being handled.
    expect(h.calls.length).toBe(2);
    h.calls[1]!.release(); // succeeds, but sits after a failed batch
    await waitFor("redelivery", () => h.calls.length === 4);
    expect(h.calls.slice(2).map((c) => c.first)).toEqual(["0", "10"]);
    expect(await committed("g")).toBe(0);
    for (const c of h.calls.slice(2)) c.release();
    await waitFor("third batch", () => h.calls.length === 5);
    h.calls[4]!.release();
    await waitFor("all committed", async () => (await committed("g")) === 30);
    await sub.stop();
  });

  it("stop() waits for the batches in flight and commits those that succeeded", async () => {
    const h = heldHandler();
    const sub = await subscribeTwoInFlight(h.handleBatch);
    await waitFor("two batches in flight", () => h.calls.length === 2);
    const stopped = sub.stop();
    for (const c of h.calls) c.release();
    await stopped;
    expect(await committed("g")).toBe(20);
    expect(h.calls.length).toBe(2);
  });
});
