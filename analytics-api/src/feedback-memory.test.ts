import { storeRequestEvents } from "@switchyard/ingest/testing";
import { runMigrations } from "@switchyard/platform";
import { openTestClickHouse, type TestClickHouse } from "@switchyard/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planQuery } from "./breakdown/query-plan.ts";
import { BREAKDOWN_EVENTS } from "./breakdown-events.fixture.ts";
import { feedbackQuery } from "./repositories/breakdown-repository.ts";

const NOW = new Date("2025-06-03T00:00:00.000Z");
/** Below what 400,000 feedback ids take without spilling (the same query without its spill settings: over 215 MiB). */
const MEMORY_BOUND = 160 * 1024 * 1024;

/** The feedback join stays inside a memory bound whatever the number of feedback ids: it spills past 64 MiB. */
describe("feedback join memory", () => {
  let db: TestClickHouse;
  beforeAll(async () => {
    db = await openTestClickHouse();
    await runMigrations(db.clickhouse.client);
    await storeRequestEvents(db.clickhouse.client, BREAKDOWN_EVENTS);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("answers a breakdown's feedback over 400,000 feedback ids within 160 MiB, counting only the joined ones", async () => {
    const client = db.clickhouse.client;
    const [traced] = BREAKDOWN_EVENTS;
    // 400,000 feedback ids, two revisions each (the later one counts), on traces no request has; then one on a
    // request's trace, which is the only feedback the breakdown may count.
    await client.command({
      query: `INSERT INTO feedback (event_id, schema_version, occurred_at, tenant_id, trace_id, feedback_id, value, weight,
          metadata, source_topic, source_partition, source_offset)
        SELECT generateUUIDv4(number), 1, toDateTime64('2025-06-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(number),
          'acme', concat('other-trace-', toString(intDiv(number, 2))), concat('fb-', toString(intDiv(number, 2))),
          toInt8(number % 2), 1, map('n', toString(number)), 'llm.feedback.v1', 0, number
        FROM numbers(800000)`,
      clickhouse_settings: { max_execution_time: 0 },
    });
    await client.insert({
      table: "feedback",
      format: "JSONEachRow",
      values: [
        {
          event_id: "01900000-0000-7000-8000-00000000f00d",
          schema_version: 1,
          occurred_at: "2025-06-01 12:00:00.000",
          tenant_id: traced!.tenant_id,
          trace_id: traced!.trace_id,
          feedback_id: "fb-on-a-request",
          value: 5,
          weight: 1,
          metadata: {},
          source_topic: "llm.feedback.v1",
          source_partition: 0,
          source_offset: 900_000,
        },
      ],
    });
    const plan = planQuery({
      dimensions: [],
      usesMetadata: false,
      from: new Date("2025-06-01T00:00:00Z"),
      to: new Date("2025-06-03T00:00:00Z"),
      step: "hour",
      series: false,
      now: NOW,
    });
    const query = feedbackQuery({
      filter: { window: plan.window, tenantIds: null, dimensions: [], metadata: [] },
      plan,
      groupBy: null,
      metrics: ["feedback_count", "feedback_weighted_avg"],
      sort: "requests",
      order: "desc",
      limit: 20,
    });
    const rows = await (
      await client.query({
        query: query.sql,
        query_params: query.params,
        format: "JSONEachRow",
        clickhouse_settings: { max_memory_usage: String(MEMORY_BOUND) },
      })
    ).json<{ n: string | number; vw: number; w: number }>();
    expect(rows.map((r) => ({ n: Number(r.n), vw: r.vw, w: r.w }))).toEqual([{ n: 1, vw: 5, w: 1 }]);
  }, 60_000);
});
