import type { ClickHouseClient } from "@clickhouse/client";
import { Topics } from "@switchyard/events";
import { beforeEach, describe, expect, it } from "vitest";
import type { PendingRow } from "../rows/pending-row.ts";
import { requestRow } from "../rows/request-row-binary.ts";
import { makeRequestEvent } from "../testing/index.ts";
import { migratedStore } from "../testing/migrated-store.ts";
import { insertExactlyOnce } from "./exactly-once-insert.ts";

function rowAt(partition: number, offset: number, event = makeRequestEvent()): PendingRow {
  const decoded = requestRow(event, { topic: Topics.requests, partition, offset: String(offset) });
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.row;
}

async function select<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: "JSONEachRow" })).json<T>();
}

describe("insertExactlyOnce", () => {
  const store = migratedStore();
  beforeEach(async () => {
    await store.client.command({ query: "TRUNCATE TABLE requests" });
  });

  it("stores every field of the event and its source coordinates", async () => {
    const event = makeRequestEvent({
      otel_trace_id: "0af7651916cd43dd8448eb211c80319c",
      metadata: { team: "search", env: "prod" },
      guardrails: [{ hook_id: "h1", check_id: "pii", verdict: true, deny: false, latency_ms: 2.5, explanation: null }],
    });
    await insertExactlyOnce(store.client, "requests", [rowAt(2, 41, event)]);
    const [row] = await select<Record<string, unknown>>(
      store.client,
      "SELECT *, toString(source_offset) AS offset_text FROM requests",
    );
    expect(row).toMatchObject({
      event_id: event.event_id,
      occurred_at: "2025-06-01 10:15:00.000",
      trace_id: event.trace_id,
      otel_trace_id: "0af7651916cd43dd8448eb211c80319c",
      otel_span_id: "",
      model: "gpt-4o-mini",
      metadata: { team: "search", env: "prod" },
      attempts: event.attempts,
      guardrails: event.guardrails,
      source_topic: Topics.requests,
      source_partition: 2,
      offset_text: "41",
    });
  });

  it("drops re-delivered offsets, producer duplicates and in-batch repeats", async () => {
    const events = Array.from({ length: 5 }, (_, i) => makeRequestEvent({ cost_nano_usd: 1_000 * (i + 1) }));
    const first = await insertExactlyOnce(
      store.client,
      "requests",
      events.map((e, i) => rowAt(0, i, e)),
    );
    expect(first).toEqual({ inserted: 5, duplicates: 0 });

    const redelivered = events.slice(2).map((e, i) => rowAt(0, i + 2, e));
    const producerRetry = rowAt(0, 100, events[0]);
    const fresh = makeRequestEvent({ cost_nano_usd: 7 });
    const second = await insertExactlyOnce(store.client, "requests", [
      ...redelivered,
      producerRetry,
      rowAt(0, 101, fresh),
      rowAt(0, 102, fresh),
    ]);
    expect(second).toEqual({ inserted: 1, duplicates: 5 });

    const [totals] = await select<{ n: number; cost: number; ids: number }>(
      store.client,
      "SELECT count() AS n, sum(cost_nano_usd) AS cost, uniqExact(event_id) AS ids FROM requests",
    );
    expect(Number(totals?.n)).toBe(6);
    expect(Number(totals?.ids)).toBe(6);
    expect(Number(totals?.cost)).toBe(15_000 + 7);
  });

  it("writes one part per month so every insert is atomic with its projections", async () => {
    const rows = [
      rowAt(0, 0, makeRequestEvent({ occurred_at: "2025-01-31T23:59:59.999Z" })),
      rowAt(0, 1, makeRequestEvent({ occurred_at: "2025-02-01T00:00:00.000Z" })),
      rowAt(0, 2, makeRequestEvent({ occurred_at: "2025-02-01T00:00:01.000Z" })),
    ];
    await insertExactlyOnce(store.client, "requests", rows);
    const parts = await select<{ partition: string; rows: number }>(
      store.client,
      `SELECT partition, rows FROM system.parts
       WHERE database = currentDatabase() AND table = 'requests' AND active ORDER BY partition`,
    );
    expect(parts.map((p) => [p.partition, Number(p.rows)])).toEqual([
      ["202501", 1],
      ["202502", 2],
    ]);
    const projections = await select<{ name: string }>(
      store.client,
      `SELECT DISTINCT name FROM system.projection_parts
       WHERE database = currentDatabase() AND table = 'requests' AND active ORDER BY name`,
    );
    expect(projections.map((p) => p.name)).toEqual([
      "otel_trace_keys",
      "rollup_daily",
      "rollup_daily_users",
      "rollup_hourly",
      "trace_keys",
    ]);
  });

  it("repairs a partially applied batch without double counting the rollup", async () => {
    const events = Array.from({ length: 4 }, () => makeRequestEvent({ cost_nano_usd: 250, user: "bob" }));
    // As if the process died after the first of two inserts: only some rows of the batch are stored.
    await insertExactlyOnce(
      store.client,
      "requests",
      events.slice(0, 2).map((e, i) => rowAt(1, i, e)),
    );
    const retried = await insertExactlyOnce(
      store.client,
      "requests",
      events.map((e, i) => rowAt(1, i, e)),
    );
    expect(retried).toEqual({ inserted: 2, duplicates: 2 });
    const [rollup] = await select<{ requests: number; cost: number }>(
      store.client,
      `SELECT count() AS requests, sum(cost_nano_usd) AS cost FROM requests
       WHERE toStartOfDay(occurred_at) >= '2025-06-01 00:00:00' GROUP BY user
       SETTINGS force_optimize_projection = 1`,
    );
    expect({ requests: Number(rollup?.requests), cost: Number(rollup?.cost) }).toEqual({ requests: 4, cost: 1_000 });
  });
});
