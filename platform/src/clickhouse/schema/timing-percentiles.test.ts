import { describe, expect, it } from "vitest";
import { LOG_MS_SCALE, timingQuantilesSql } from "./007-timing-percentiles.ts";
import { MIGRATIONS } from "./migrations.ts";
import { runMigrations } from "./run-migrations.ts";
import { storeBeforeMigration } from "./store-before-migration.ts";

/** Migration 007 on a store that already holds rows: the rollups are rebuilt with the new states and answer. */
describe("migration 007 (timing percentiles)", () => {
  const store = storeBeforeMigration(7);
  const rows = (sql: string) => store.rows(sql);

  it("rebuilds the rollups of existing parts; their percentiles are within 1.25 % of the exact ones", async () => {
    const client = store.db.clickhouse.client;
    // 6,000 requests a tenant (more than quantileTiming keeps exactly), latencies 50 ms to ~3 min, a third without TTFT.
    await client.command({
      query: `INSERT INTO requests (event_id, schema_version, occurred_at, gateway_instance, tenant_id, trace_id,
          otel_trace_id, otel_span_id, endpoint, stream, model_requested, model, provider, status_code, latency_ms,
          ttft_ms, gateway_overhead_ms, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
          reasoning_tokens, usage_estimated, cost_nano_usd, cost_input_nano_usd, cost_cached_input_nano_usd,
          cost_cache_write_nano_usd, cost_output_nano_usd, cost_reasoning_nano_usd, pricing_source, cache_status,
          retry_count, attempts, guardrails, source_topic, source_partition, source_offset)
        SELECT generateUUIDv4(number), 1, toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + toIntervalSecond(number),
          'g', concat('t-', toString(number % 2)), toString(number), '', '', '/v1/chat/completions', false, 'm', 'm',
          'p', 200, 50 * exp((cityHash64(number) % 10000) / 1780), if(number % 3 = 0, NULL, 20 + number % 700), 1,
          0, 0, 0, 0, 0, false, 0, 0, 0, 0, 0, 0, 'catalog', 'DISABLED', 0, [], [], 'llm.requests.v1', 0, number
        FROM numbers(12000)`,
    });
    const applied = await runMigrations(client);
    expect(applied.applied).toEqual([7, ...MIGRATIONS.filter((m) => m.version > 7).map((m) => m.version)]);
    await store.mutationsDone();

    const query = `SELECT tenant_id, toStartOfDay(occurred_at) AS day, count() AS n,
        ${timingQuantilesSql("0.5, 0.9, 0.99", "latency_ms")} AS lat, ${timingQuantilesSql("0.5, 0.99", "ttft_ms")} AS ttft
      FROM requests GROUP BY tenant_id, day ORDER BY tenant_id`;
    const plan = (await rows(`EXPLAIN ${query}`)).map((r) => String(r.explain)).join("\n");
    expect(plan).toMatch(/ReadFromMergeTree \(rollup_daily\)/);

    const exact = await rows(`SELECT tenant_id, quantilesExact(0.5, 0.9, 0.99)(latency_ms) AS lat,
        quantilesExact(0.5, 0.99)(ttft_ms) AS ttft FROM requests GROUP BY tenant_id ORDER BY tenant_id`);
    const rolled = await rows(query);
    expect(rolled.map((r) => [r.tenant_id, Number(r.n)])).toEqual([
      ["t-0", 6000],
      ["t-1", 6000],
    ]);
    const decode = (codes: unknown) => (codes as number[]).map((c) => Math.expm1(Number(c) / LOG_MS_SCALE));
    rolled.forEach((r, i) => {
      const pairs = [
        ...decode(r.lat).map((v, j) => [v, (exact[i]!.lat as number[])[j]!]),
        ...decode(r.ttft).map((v, j) => [v, (exact[i]!.ttft as number[])[j]!]),
      ];
      for (const [got, want] of pairs) expect(Math.abs(got! - want!) / want!).toBeLessThan(0.0125);
    });
  });
});
