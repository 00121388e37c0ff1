import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "./migrations.ts";
import { runMigrations } from "./run-migrations.ts";
import { storeBeforeMigration } from "./store-before-migration.ts";

const ROWS = 40_000;

/** Migration 008 on a store that already holds rows: trace_keys is rebuilt with `_part_offset`. */
describe("migration 008 (trace_keys as a projection index)", () => {
  const store = storeBeforeMigration(8);
  const rows = (sql: string) => store.rows(sql);

  it("rebuilds trace_keys of existing parts with row offsets; both trace projections still answer a trace's keys", async () => {
    const client = store.db.clickhouse.client;
    // Traces of two requests each; every fourth request also carries an OpenTelemetry trace id of its own.
    await client.command({
      query: `INSERT INTO requests (event_id, schema_version, occurred_at, gateway_instance, tenant_id, trace_id,
          otel_trace_id, otel_span_id, endpoint, stream, model_requested, model, provider, status_code, latency_ms,
          gateway_overhead_ms, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
          reasoning_tokens, usage_estimated, cost_nano_usd, cost_input_nano_usd, cost_cached_input_nano_usd,
          cost_cache_write_nano_usd, cost_output_nano_usd, cost_reasoning_nano_usd, pricing_source, cache_status,
          retry_count, attempts, guardrails, source_topic, source_partition, source_offset)
        SELECT generateUUIDv4(number), 1, toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalSecond(number),
          'g', concat('t-', toString(number % 2)), concat('trace-', toString(intDiv(number, 2))),
          if(number % 4 = 0, lower(hex(MD5(toString(number)))), ''), '', '/v1/chat/completions', false, 'm', 'm',
          'p', 200, 10, 1, 0, 0, 0, 0, 0, false, 0, 0, 0, 0, 0, 0, 'catalog', 'DISABLED', 0, [], [],
          'llm.requests.v1', 0, number
        FROM numbers(${ROWS})`,
    });
    const before = await rows(
      "SELECT tenant_id, toString(event_id) AS id FROM requests WHERE trace_id = 'trace-12345' ORDER BY id",
    );
    expect(before).toHaveLength(2);

    const applied = await runMigrations(client);
    expect(applied.applied).toEqual(MIGRATIONS.filter((m) => m.version >= 8).map((m) => m.version));
    await store.mutationsDone();

    // Every active part has both projections again; trace_keys now with the row offsets, otel_trace_keys as before.
    const parts = await rows(`SELECT name FROM system.parts
      WHERE database = currentDatabase() AND table = 'requests' AND active`);
    const projectionParts = await rows(`SELECT name, parent_name FROM system.projection_parts
      WHERE database = currentDatabase() AND table = 'requests' AND active AND name LIKE '%trace_keys'`);
    for (const name of ["trace_keys", "otel_trace_keys"]) {
      expect(projectionParts.filter((p) => p.name === name).map((p) => p.parent_name)).toEqual(
        expect.arrayContaining(parts.map((p) => p.name)),
      );
    }
    const ddl = String((await rows("SHOW CREATE TABLE requests"))[0]?.statement);
    expect(ddl).toMatch(/PROJECTION trace_keys[^)]*_part_offset[^)]*ORDER BY trace_id/);
    expect(ddl).toMatch(/PROJECTION otel_trace_keys\s*\([^)]*ORDER BY otel_trace_id\s*\)/);
    expect(ddl).not.toMatch(/PROJECTION otel_trace_keys[^)]*_part_offset/);

    // The keys are still there for the IN-set lookup and the gateway's trace directory, read from the projection.
    const keysQuery =
      "SELECT tenant_id, toString(event_id) AS id FROM requests WHERE trace_id = 'trace-12345' ORDER BY id";
    expect(await rows(keysQuery)).toEqual(before);
    const plan = (await rows(`EXPLAIN ${keysQuery}`)).map((r) => String(r.explain)).join("\n");
    expect(plan).toMatch(/ReadFromMergeTree \(trace_keys\)/);
    const otel = await rows(`SELECT otel_trace_id AS o FROM requests WHERE source_offset = 4`);
    const otelPlan = (await rows(`EXPLAIN SELECT event_id FROM requests WHERE otel_trace_id = '${String(otel[0]?.o)}'`))
      .map((r) => String(r.explain))
      .join("\n");
    expect(otelPlan).toMatch(/ReadFromMergeTree \(otel_trace_keys\)/);
  });
});
