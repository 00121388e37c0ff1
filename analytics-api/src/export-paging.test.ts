import { makeRequestEvent } from "@switchyard/ingest/testing";
import type { TestClickHouse } from "@switchyard/platform/testing";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyticsOver, TEST_KEYS } from "./test-support.ts";

/**
 * Issue 11 §2: the export has no row cap. The repository reads it in keyset pages of 10,000 rows, so
 * 25,003 matching rows cross two page boundaries — several rows share one timestamp exactly at each
 * boundary, where a keyset on time alone would skip or repeat them. Every row must come out once,
 * newest first.
 */
const ROWS = 25_003;
const START = Date.UTC(2025, 5, 1, 0, 0);

// One row per 100 ms, except rows 5,000–5,004 and 15,000–15,004, which share one instant each: newest
// first, the 10,000th and 10,001st rows are 15,003 and 15,002 (the 20,000th/20,001st: 5,003 and 5,002).
const instant = (i: number) => {
  const tied = (i >= 5_000 && i <= 5_004) || (i >= 15_000 && i <= 15_004);
  return START + (tied ? Math.floor(i / 5) * 5 : i) * 100;
};
const events = Array.from({ length: ROWS }, (_, i) =>
  makeRequestEvent({ tenant_id: "acme", occurred_at: new Date(instant(i)).toISOString() }),
);

describe("request log export across pages", () => {
  let db: TestClickHouse;
  let app: FastifyInstance;

  beforeAll(async () => {
    ({ db, app } = await analyticsOver(events, new Date("2025-06-02T00:00:00.000Z")));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it("streams every matching row exactly once, newest first, past two page boundaries", async () => {
    const res = await app.inject({
      method: "GET",
      url: "/v1/requests/export?from=2025-06-01T00:00:00Z&to=2025-06-02T00:00:00Z",
      headers: { authorization: `Bearer ${TEST_KEYS.acme}` },
    });
    expect(res.statusCode).toBe(200);
    const rows = res.body
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { event_id: string; occurred_at: string });
    expect(rows).toHaveLength(ROWS);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(ROWS);
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(events.map((e) => e.event_id)));
    const times = rows.map((r) => Date.parse(r.occurred_at));
    expect(times.every((t, i) => i === 0 || t <= times[i - 1]!)).toBe(true);
    expect(rows[0]!.event_id).toBe(events[ROWS - 1]!.event_id);
  }, 120_000);
});
