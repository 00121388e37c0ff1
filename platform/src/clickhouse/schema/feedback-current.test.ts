import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestClickHouse, type TestClickHouse } from "../../testing/index.ts";
import { runMigrations } from "./run-migrations.ts";

/** Migration 004 on the real engine: the latest revision of each feedback id counts, per tenant. */
describe("feedback_current", () => {
  let db: TestClickHouse;
  beforeAll(async () => {
    db = await openTestClickHouse();
    await runMigrations(db.clickhouse.client);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  const row = (event: string, tenant: string, feedbackId: string | null, at: string, value: number, weight = 1) => ({
    event_id: event,
    schema_version: 1,
    occurred_at: at,
    tenant_id: tenant,
    trace_id: "trace-1",
    ...(feedbackId === null ? {} : { feedback_id: feedbackId }),
    value,
    weight,
    metadata: { v: String(value) },
    source_topic: "llm.feedback.v1",
    source_partition: 0,
    source_offset: 0,
  });

  it("keeps one row per (tenant, feedback id): the latest value, weight and metadata; old rows are their own feedback", async () => {
    const client = db.clickhouse.client;
    await client.insert({
      table: "feedback",
      format: "JSONEachRow",
      values: [
        row("01900000-0000-7000-8000-000000000001", "acme", "fb-1", "2026-01-01 10:00:00.000", 5),
        row("01900000-0000-7000-8000-000000000002", "acme", "fb-1", "2026-01-01 10:05:00.000", -3, 0.5),
        row("01900000-0000-7000-8000-000000000003", "acme", "fb-1", "2026-01-01 10:01:00.000", 9),
        // The same feedback id written by another tenant is that tenant's own feedback.
        row("01900000-0000-7000-8000-000000000004", "globex", "fb-1", "2026-01-01 11:00:00.000", 10),
        // A row from before feedback ids: its event id is its feedback id.
        row("01900000-0000-7000-8000-000000000005", "acme", null, "2026-01-01 09:00:00.000", 2),
      ],
    });
    const rows = await (
      await client.query({
        query: `SELECT tenant_id, feedback_id, value, weight, metadata, revisions
          FROM feedback_current ORDER BY tenant_id, feedback_id`,
        format: "JSONEachRow",
      })
    ).json<Record<string, unknown>>();
    expect(rows).toEqual([
      {
        tenant_id: "acme",
        feedback_id: "01900000-0000-7000-8000-000000000005",
        value: 2,
        weight: 1,
        metadata: { v: "2" },
        revisions: 1,
      },
      { tenant_id: "acme", feedback_id: "fb-1", value: -3, weight: 0.5, metadata: { v: "-3" }, revisions: 3 },
      { tenant_id: "globex", feedback_id: "fb-1", value: 10, weight: 1, metadata: { v: "10" }, revisions: 1 },
    ]);
  });
});
