import { describe, expect, it } from "vitest";
import { compactParts } from "./009-compact-parts.ts";
import { MIGRATIONS } from "./migrations.ts";
import { runMigrations } from "./run-migrations.ts";
import { storeBeforeMigration } from "./store-before-migration.ts";

/** 40,000 rows with 400-byte bodies: ~16 MB uncompressed, past the default 10 MB wide-part threshold. */
const INSERT = `INSERT INTO requests (event_id, occurred_at, tenant_id, trace_id, body_request)
  SELECT generateUUIDv4(), toDateTime64('2025-06-01 10:00:00', 3, 'UTC') + number, 'tenant-a',
    concat('trace-', toString(number)), repeat('x', 400)
  FROM numbers(40000)`;

describe("migration 009 (compact parts up to 256 MB)", () => {
  const store = storeBeforeMigration(compactParts.version);

  it("keeps an insert's part compact where the default made it wide", async () => {
    const client = store.db.clickhouse.client;
    const partType = async () =>
      (
        await store.rows(
          "SELECT part_type FROM system.parts WHERE database = currentDatabase() AND table = 'requests' AND active",
        )
      ).map((p) => p.part_type);
    await client.command({ query: INSERT });
    expect(await partType()).toEqual(["Wide"]);

    await client.command({ query: "TRUNCATE TABLE requests" });
    await runMigrations(client, [...MIGRATIONS.filter((m) => m.version !== compactParts.version), compactParts]);
    await client.command({ query: INSERT });
    expect(await partType()).toEqual(["Compact"]);
  });
});
