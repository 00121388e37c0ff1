/**
 * `node test/bench/analytics-detail-probe.ts <seeded data dir>`: request detail (`/v1/requests/:id`) read two ways on a
 * seeded store (analytics-seed.ts, kept with ANALYTICS_DATA_DIR): every record column (before migration 011) against
 * `record_json` (now), both with the bodies, 200 random ids in 8 alternating blocks of 10: wall p50/p95 and this
 * process' CPU per lookup (the embedded engine runs in it).
 */
import { createClickHouse, RECORD_JSON_COLUMNS } from "@switchyard/platform";

const dir = process.argv[2];
if (!dir) throw new Error("usage: analytics-detail-probe.ts <seeded data dir>");
const ch = await createClickHouse({ kind: "embedded", path: `${dir}/clickhouse` });
const c = ch.client;
const bodies = "bodies_captured, bodies_truncated, body_request, body_response";
const forms: Record<string, string> = {
  columns: `SELECT ${RECORD_JSON_COLUMNS.join(", ")}, ${bodies} FROM requests WHERE event_id = {event_id:UUID} LIMIT 1`,
  record_json: `SELECT record_json, ${bodies} FROM requests WHERE event_id = {event_id:UUID} LIMIT 1`,
};
const ids = (
  await (
    await c.query({
      query: "SELECT toString(event_id) AS id FROM requests WHERE rand() % 20000 = 0 LIMIT 200",
      format: "JSONEachRow",
    })
  ).json<{ id: string }>()
).map((r) => r.id);
console.log("ids", ids.length);
const wall: Record<string, number[]> = { columns: [], record_json: [] };
const cpu: Record<string, number> = { columns: 0, record_json: 0 };
for (let round = 0; round < 8; round++) {
  for (const name of round % 2 ? ["record_json", "columns"] : ["columns", "record_json"]) {
    const c0 = process.cpuUsage();
    for (let k = 0; k < 10; k++) {
      const id = ids[(round * 10 + k) % ids.length]!;
      const t = performance.now();
      const rows = await (
        await c.query({ query: forms[name]!, query_params: { event_id: id }, format: "JSONEachRow" })
      ).json();
      wall[name]!.push(performance.now() - t);
      if (rows.length !== 1) throw new Error("no row");
    }
    const u = process.cpuUsage(c0);
    cpu[name]! += (u.user + u.system) / 1000;
  }
}
for (const name of Object.keys(forms)) {
  const w = wall[name]!.sort((a, b) => a - b);
  console.log(
    `${name}: wall p50 ${w[Math.floor(w.length / 2)]!.toFixed(1)} ms p95 ${w[Math.floor(w.length * 0.95)]!.toFixed(1)} ms, CPU ${(cpu[name]! / w.length).toFixed(1)} ms/lookup (${w.length})`,
  );
}
await ch.close();
