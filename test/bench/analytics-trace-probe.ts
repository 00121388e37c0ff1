import { traceIndexSql, traceKeysSql, traceSql } from "@switchyard/analytics-api/testing";
import { createClickHouse, RECORD_JSON_COLUMNS } from "@switchyard/platform";
import { percentile } from "./analytics-measure.ts";

/**
 * `node test/bench/analytics-trace-probe.ts <seeded data dir> [variant,…]`: where a trace lookup's time goes,
 * straight on the engine (no HTTP), on a store seeded by analytics-seed.ts (e.g. kept with
 * ANALYTICS_DATA_DIR). Each variant is a statement shape; the variants run interleaved in rounds on random
 * seeded trace ids, and each is reported as wall ms through the client (worker hop included) beside the
 * engine's own counters (system.events deltas: query time, marks, rows, compressed bytes, CPU µs).
 * PROBE_REPS (100 per variant), PROBE_BLOCK (10), PROBE_ROWS (the seeded row count, for the trace ids),
 * PROBE_EVENTS (counters shown), PROBE_ALL=1 (every counter that moved).
 */
const [dataDir, only] = process.argv.slice(2);
if (!dataDir) throw new Error("usage: analytics-trace-probe.ts <dataDir> [variant,…]");
const reps = Number(process.env.PROBE_REPS ?? 100);
const seededRows = Number(process.env.PROBE_ROWS ?? 10_000_000);

// As the repository sends them: unordered, sorted by the API (a trace over the cap is read again, ordered).
const shipped = traceSql(false, false);
/** The record's columns, as the statements read them before record_json (migration 011). */
const recordColumns = RECORD_JSON_COLUMNS.join(", ");
const VARIANTS: Record<string, string> = {
  shipped,
  // The projection-index statement (a store migrated to 008).
  index: traceIndexSql(false, false),
  // Ordered by the engine (before the API sorted; still the statement for a trace over the cap).
  indexOrdered: traceIndexSql(false, true),
  // Both statements as they were before 011: every column of the record instead of record_json.
  columns: shipped.replace("SELECT record_json,", `SELECT ${recordColumns},`),
  columnsIndex: traceIndexSql(false, false).replace("SELECT record_json,", `SELECT ${recordColumns},`),
  keysOnly: shipped.replace(/SELECT [\s\S]*? FROM requests\n {2}WHERE/, "SELECT event_id FROM requests\n  WHERE"),
  noBodies: shipped.replace(", bodies_captured, bodies_truncated, body_request, body_response", ""),
  // The main read alone: the keys inlined as literals (looked up untimed).
  literalKeys: shipped.replace(/IN \(SELECT[\s\S]*LIMIT \d+\)/, "IN ({keys:})"),
  // One WHERE on the column: for a store whose trace projection can filter the table's rows itself.
  byTraceId: shipped.replace(/WHERE \(tenant_id[\s\S]*LIMIT \d+\)/, "WHERE trace_id = {trace_id:String}"),
  byEither: shipped.replace(
    /WHERE \(tenant_id[\s\S]*LIMIT \d+\)/,
    "WHERE trace_id = {trace_id:String} OR otel_trace_id = {trace_id:String}",
  ),
  branchTrace: traceKeysSql(false).split("UNION ALL")[0]!,
  branchOtel: traceKeysSql(false).split("UNION ALL")[1]!,
  keysPlus10Numbers: shipped.replace(
    /SELECT [\s\S]*? FROM requests\n {2}WHERE/,
    `SELECT event_id, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_nano_usd,
      cost_input_nano_usd, cost_cached_input_nano_usd, cost_cache_write_nano_usd, cost_output_nano_usd FROM requests\n  WHERE`,
  ),
  keysPlus5Nested: shipped.replace(
    /SELECT [\s\S]*? FROM requests\n {2}WHERE/,
    "SELECT event_id, metadata, attempts, guardrails, guardrail_hooks, limit_checks FROM requests\n  WHERE",
  ),
};
// PROBE_SETTINGS: `;`-separated extra settings, each a variant of PROBE_BASE (shipped) (e.g. "max_threads = 1").
const base = VARIANTS[process.env.PROBE_BASE ?? "shipped"]!;
for (const extra of (process.env.PROBE_SETTINGS ?? "").split(";").filter((x) => x.trim() !== "")) {
  VARIANTS[extra.trim()] = `${base}, ${extra}`;
}

const clickhouse = await createClickHouse({ kind: "embedded", path: `${dataDir}/clickhouse` });
const client = clickhouse.client;
try {
  const names = Object.keys(VARIANTS).filter((n) => !only || only.split(",").includes(n));
  const wall = new Map<string, number[]>(names.map((n) => [n, []]));
  const events = new Map<string, Map<string, number>>(names.map((n) => [n, new Map()]));
  // chdb keeps no query_log: the engine's global counters (system.events) before and after each block of one
  // variant's queries, summed per variant, stand in for per-query ProfileEvents.
  const snapshot = async () =>
    new Map(
      (
        await (
          await client.query({ query: "SELECT event, value FROM system.events", format: "JSONEachRow" })
        ).json<{
          event: string;
          value: string;
        }>()
      ).map((r) => [r.event, Number(r.value)]),
    );
  const block = Number(process.env.PROBE_BLOCK ?? 10);
  for (let i = 0; i < reps; i += block) {
    for (const name of names) {
      const ids = Array.from({ length: block }, () => `trace-${Math.floor(Math.random() * (seededRows / 2))}`);
      // A `{keys:…}` variant gets the trace's sort keys as a parameter, looked up before the timed block.
      const keys = VARIANTS[name]!.includes("{keys:")
        ? await Promise.all(
            ids.map(async (id) =>
              (
                await (
                  await client.query({
                    query: `SELECT tenant_id, toStartOfHour(occurred_at) AS h, occurred_at, event_id FROM requests WHERE trace_id = {id:String}`,
                    query_params: { id },
                    format: "JSONCompactEachRow",
                  })
                ).json<unknown[]>()
              ).map((k) => `(${k.map((v) => `'${String(v)}'`).join(",")})`),
            ),
          )
        : [];
      const before = await snapshot();
      for (let j = 0; j < block; j++) {
        const started = performance.now();
        const result = await client.query({
          query: VARIANTS[name]!.replace("{keys:}", keys[j]?.join(",") ?? ""),
          query_params: { trace_id: ids[j] },
          format: "JSONEachRow",
        });
        const rows = await result.json<Record<string, unknown>>();
        wall.get(name)!.push(performance.now() - started);
        if (rows.length === 0 && !name.includes("Otel")) throw new Error(`${name}: no rows for ${ids[j]}`);
      }
      const after = await snapshot();
      const sum = events.get(name)!;
      for (const [event, value] of after) sum.set(event, (sum.get(event) ?? 0) + value - (before.get(event) ?? 0));
    }
  }
  const SHOWN = (
    process.env.PROBE_EVENTS ??
    "SelectQueryTimeMicroseconds,OSCPUVirtualTimeMicroseconds,SelectedParts,SelectedMarks,SelectedRows,ReadCompressedBytes,CompressedReadBufferBlocks,CompressedReadBufferBytes,MarkCacheMisses,FileOpen"
  ).split(",");
  for (const name of names) {
    const sorted = [...wall.get(name)!].sort((a, b) => a - b);
    const n = sorted.length;
    const sum = events.get(name)!;
    const per = SHOWN.map((e) => `${e} ${((sum.get(e) ?? 0) / n).toFixed(0)}`).join(", ");
    console.log(
      `${name.padEnd(16)} wall p50 ${percentile(sorted, 50).toFixed(1)} p95 ${percentile(sorted, 95).toFixed(1)} ms (n ${n}) | per query (incl. 1/${block} of two system.events reads): ${per}`,
    );
    if (process.env.PROBE_ALL) {
      const top = [...sum].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
      console.log(top.map(([e, v]) => `    ${e} ${(v / n).toFixed(1)}`).join("\n"));
    }
  }
} finally {
  await clickhouse.close();
}
