import type { ClickHouseClient } from "@clickhouse/client";
import { type RequestEvent, Topics } from "@switchyard/events";
import { type ClickHouse, createLogger } from "@switchyard/platform";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { PendingRow } from "../rows/pending-row.ts";
import { requestRow } from "../rows/request-row-binary.ts";
import { makeRequestEvent, pollUntil } from "../testing/index.ts";
import { migratedStore } from "../testing/migrated-store.ts";
import { BatchWriter } from "./batch-writer.ts";
import { type InsertOutcome, insertExactlyOnce } from "./exactly-once-insert.ts";

const logger = createLogger({ level: "silent", name: "insert-lanes-test" });

function rowOf(event: RequestEvent, offset: number): PendingRow {
  const decoded = requestRow(event, { topic: Topics.requests, partition: 0, offset: String(offset) });
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.row;
}

async function storedCount(client: ClickHouseClient, eventIds: readonly string[]): Promise<number> {
  const result = await client.query({
    query: "SELECT count() AS n FROM requests WHERE event_id IN {ids:Array(UUID)}",
    query_params: { ids: eventIds },
    format: "JSONEachRow",
  });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n ?? 0);
}

/** Polls `check` (no sleeps in tests: pollUntil's deadline) until it holds. */
const until = (check: () => boolean | Promise<boolean>, what: string) =>
  pollUntil(async () => ((await check()) ? true : undefined), what, 10_000);

/**
 * Two lanes on two real chdb sessions of one engine. While held, lane 0's inserts wait for `release()`
 * before they start (so its flush stays in flight while lane 1's runs), and fail if told to.
 */
function gatedLanes(primary: () => ClickHouseClient, second: () => ClickHouseClient) {
  let gate: PromiseWithResolvers<boolean> | null = Promise.withResolvers<boolean>();
  const entered: number[] = [];
  const sink = async (rows: readonly PendingRow[], lane: number): Promise<InsertOutcome> => {
    entered.push(lane);
    if (lane === 0 && gate !== null && (await gate.promise)) throw new Error("lane 0 insert failed");
    return insertExactlyOnce(lane === 0 ? primary() : second(), "requests", rows, primary());
  };
  return {
    sink,
    entered,
    /** Lets lane 0's held insert go (failing it when `fail`), and every later one. */
    release: (fail = false) => {
      gate?.resolve(fail);
      gate = null;
    },
  };
}

describe("BatchWriter with two insert lanes (real engine, two sessions)", () => {
  const store = migratedStore();
  let second: ClickHouse;
  beforeAll(async () => {
    second = await store.db.clickhouse.openSession();
  });
  afterAll(async () => {
    await second?.close();
  });
  beforeEach(async () => {
    await store.client.command({ query: "TRUNCATE TABLE requests" });
  });
  /** A writer with two lanes, lane 0 on the store's session and lane 1 on the second, gated by the test. */
  const twoLaneWriter = () => {
    const lanes = gatedLanes(
      () => store.client,
      () => second.client,
    );
    const writer = new BatchWriter({
      name: "requests",
      sink: lanes.sink,
      maxRows: 1_000,
      lingerMs: 0,
      lanes: 2,
      logger,
    });
    return { lanes, writer };
  };

  it("sessions see each other's committed parts", async () => {
    const event = makeRequestEvent();
    await insertExactlyOnce(store.client, "requests", [rowOf(event, 0)]);
    expect(await storedCount(second.client, [event.event_id])).toBe(1);
  });

  it("stores an event id that two flushes in flight share once, and answers writers in flush order", async () => {
    const { lanes, writer } = twoLaneWriter();
    const shared = makeRequestEvent();
    const onlyFirst = makeRequestEvent();
    const onlySecond = makeRequestEvent();
    const answered: string[] = [];
    const first = writer.write([rowOf(shared, 0), rowOf(onlyFirst, 1)]).then(() => answered.push("first"));
    await until(() => lanes.entered.length === 1, "lane 0's flush");
    // A redelivery of the shared event (same bytes, new offset) while the first flush is still in flight.
    const later = writer.write([rowOf(shared, 2), rowOf(onlySecond, 3)]).then(() => answered.push("second"));
    await until(() => lanes.entered.length === 2, "lane 1's flush");
    // Lane 1 inserts while lane 0 has not: its lookup cannot see the shared event in the table.
    await until(async () => (await storedCount(store.client, [onlySecond.event_id])) === 1, "lane 1's insert");
    expect(await storedCount(store.client, [shared.event_id])).toBe(0);
    expect(answered).toEqual([]); // the second flush's rows are stored, but the first is still in flight
    lanes.release();
    await Promise.all([first, later]);
    expect(answered).toEqual(["first", "second"]);
    expect(await storedCount(store.client, [shared.event_id, onlyFirst.event_id, onlySecond.event_id])).toBe(3);
    expect(writer.stats()).toMatchObject({ rowsWritten: 3, duplicatesSkipped: 1, failedFlushes: 0 });
  });

  it("rejects a later flush's writers when a flush in flight beside it fails; the redelivery stores each once", async () => {
    const { lanes, writer } = twoLaneWriter();
    const shared = makeRequestEvent();
    const onlySecond = makeRequestEvent();
    const firstRows = [rowOf(shared, 0)];
    const secondRows = [rowOf(shared, 1), rowOf(onlySecond, 2)];
    const first = writer.write(firstRows);
    await until(() => lanes.entered.length === 1, "lane 0's flush");
    const later = writer.write(secondRows);
    await until(async () => (await storedCount(store.client, [onlySecond.event_id])) === 1, "lane 1's insert");
    lanes.release(true);
    await expect(first).rejects.toThrow("lane 0 insert failed");
    // Its own insert succeeded, but it dropped the shared event for the failed flush to store.
    await expect(later).rejects.toThrow("lane 0 insert failed");
    expect(await storedCount(store.client, [shared.event_id])).toBe(0);
    // The bus redelivers both batches; the idempotent insert absorbs what is stored.
    await writer.write(firstRows);
    await writer.write(secondRows);
    expect(await storedCount(store.client, [shared.event_id, onlySecond.event_id])).toBe(2);
    await writer.stop();
  });
});
