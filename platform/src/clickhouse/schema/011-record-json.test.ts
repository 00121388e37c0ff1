import { describe, expect, it } from "vitest";
import { RECORD_JSON_COLUMNS, RECORD_JSON_VERSION, recordJson } from "./011-record-json.ts";
import { runMigrations } from "./run-migrations.ts";
import { storeBeforeMigration } from "./store-before-migration.ts";

const ROWS = 20_000;

/** Migration 011 on a store that already holds rows: record_json is written into the existing parts. */
describe("migration 011 (record_json)", () => {
  const store = storeBeforeMigration(recordJson.version);
  const rows = (sql: string) => store.rows(sql);

  it("writes record_json into existing parts, and computes it for new rows, from the row's own columns", async () => {
    const client = store.db.clickhouse.client;
    // Wide parts (a file per column), as a big store's are, so what a part stores is visible per column.
    await client.command({ query: "ALTER TABLE requests MODIFY SETTING min_bytes_for_wide_part = 0" });
    const insert = (from: number) =>
      client.command({
        query: `INSERT INTO requests (event_id, occurred_at, tenant_id, trace_id, user, metadata, attempts, status_code)
          SELECT generateUUIDv4(number), toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalSecond(number),
            concat('t-', toString(number % 2)), concat('trace-', toString(intDiv(number, 2))),
            if(number % 3 = 0, NULL, 'u'), map('k', toString(number)),
            [('openai', 'gpt-4o', 429, 1.5, NULL, 'a')], 200
          FROM numbers(${from}, ${ROWS / 2})`,
      });
    await insert(0);
    await runMigrations(client);
    await store.mutationsDone();
    // Two parts are the point (one materialized by the mutation, one written with the column): no merge may join them.
    await client.command({ query: "SYSTEM STOP MERGES requests" });
    await insert(ROWS / 2);

    const parts = await rows(`SELECT name, column_bytes_on_disk AS bytes FROM system.parts_columns
      WHERE database = currentDatabase() AND table = 'requests' AND active AND column = 'record_json'`);
    expect(parts).toHaveLength(2);
    for (const part of parts) expect(Number(part.bytes)).toBeGreaterThan(0);

    // The stored value is the engine's JSON of each column, in RECORD_JSON_COLUMNS' order, after the version.
    const [checked] = await rows(`SELECT count() AS n,
        countIf(record_json != toJSONString(tuple(${RECORD_JSON_VERSION}, ${RECORD_JSON_COLUMNS.join(", ")}))) AS bad
      FROM requests`);
    expect([Number(checked?.n), Number(checked?.bad)]).toEqual([ROWS, 0]);
    const [sample] = await rows("SELECT record_json, ingested_at FROM requests LIMIT 1");
    const values = JSON.parse(String(sample?.record_json)) as unknown[];
    expect(values).toHaveLength(RECORD_JSON_COLUMNS.length + 1);
    expect(values[0]).toBe(RECORD_JSON_VERSION);
    expect(values[1 + RECORD_JSON_COLUMNS.indexOf("attempts")]).toEqual([
      { provider: "openai", model: "gpt-4o", status_code: 429, latency_ms: 1.5, error_type: null, target_path: "a" },
    ]);
    expect(values[1 + RECORD_JSON_COLUMNS.indexOf("ingested_at")]).toBe(sample?.ingested_at);
  });
});
