import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestClickHouse, type TestClickHouse } from "../../testing/index.ts";
import { compactParts } from "./009-compact-parts.ts";
import { MIGRATIONS } from "./migrations.ts";
import { runMigrations } from "./run-migrations.ts";

/** 40,000 rows with 400-byte bodies: ~16 MB uncompressed, past the default 10 MB wide-part threshold. */
const INSERT = `INSERT INTO requests (event_id, occurred_at, tenant_id, trace_id, body_request)
  SELECT generateUUIDv4(), toDateTime64('2025-06-01 10:00:00', 3, 'UTC') + number, 'tenant-a',
    concat('trace-', toString(number)), repeat('x', 400)
  FROM numbers(40000)`;

describe("migration 009 (compact parts up to 256 MB)", () => {
  let db: TestClickHouse;
  beforeAll(async () => {
    db = await openTestClickHouse();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("keeps an insert's part compact where the default made it wide", async () => {
    const client = db.clickhouse.client;
    const partType = async () => {
      const result = await client.query({
        query:
          "SELECT part_type FROM system.parts WHERE database = currentDatabase() AND table = 'requests' AND active",
        format: "JSONEachRow",
      });
      return (await result.json<{ part_type: string }>()).map((p) => p.part_type);
    };
    await runMigrations(
      client,
      MIGRATIONS.filter((m) => m.version < compactParts.version),
    );
    await client.command({ query: INSERT });
    expect(await partType()).toEqual(["Wide"]);

    await client.command({ query: "TRUNCATE TABLE requests" });
    await runMigrations(client, [...MIGRATIONS.filter((m) => m.version !== compactParts.version), compactParts]);
    await client.command({ query: INSERT });
    expect(await partType()).toEqual(["Compact"]);
  });
});
