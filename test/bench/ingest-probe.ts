import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeEvent, RequestEvent } from "@switchyard/events";
import { insertExactlyOnce, type PendingRow, requestRowJson } from "@switchyard/ingest/testing";
import { createClickHouse, runMigrations } from "@switchyard/platform";
import { decodeProbeRow, probeEvent, probeRoute } from "./probe-events.ts";
import { measureByThread } from "./probe-measure.ts";

/**
 * `node test/bench/ingest-probe.ts`: where ingest's CPU goes, stage by stage, in one process (a diagnosis
 * tool, not a benchmark of record). Each stage's CPU is read per thread (/proc/self/task, grouped by
 * thread name) so the main thread's decode, the engine's insert (libuv pool threads running chdb's
 * statement), its background merges (MergeMutate) and the dedup lookup are told apart on a busy box.
 * PROBE_EVENTS (100,000), PROBE_BATCH (10,000).
 */
const EVENTS = Number(process.env.PROBE_EVENTS ?? 100_000);
const BATCH = Number(process.env.PROBE_BATCH ?? 10_000);

const dir = await mkdtemp(join(tmpdir(), "sy-ingest-probe-"));
const clickhouse = await createClickHouse({ kind: "embedded", path: join(dir, "ch") });
const client = clickhouse.client;
try {
  await runMigrations(client);
  const now = Date.now();
  const values = Array.from({ length: EVENTS }, (_, i) => encodeEvent(RequestEvent, probeEvent(i, EVENTS, now)));
  console.log(`${EVENTS} events, ~${Math.round(values[0]!.length)} bytes each, batches of ${BATCH}`);
  const route = probeRoute();
  let rows: PendingRow[] = [];
  const decodeAll = () => {
    rows = values.map((value, i) => decodeProbeRow(route, value, i));
  };
  for (let i = 0; i < 2; i++) await measureByThread("decode+map (fast path)", EVENTS, async () => decodeAll());
  await measureByThread("decode+map (zod)", EVENTS, async () => {
    values.map((value, i) =>
      requestRowJson(RequestEvent.parse(JSON.parse(value.toString())), { topic: "t", partition: 0, offset: String(i) }),
    );
  });
  await measureByThread("JSON.parse only", EVENTS, async () => {
    for (const v of values) JSON.parse(v.toString("utf8"));
  });

  const chunks = (): PendingRow[][] => {
    const out: PendingRow[][] = [];
    for (let i = 0; i < rows.length; i += BATCH) out.push(rows.slice(i, i + BATCH));
    return out;
  };
  // Scratch table: same columns, no projections, no skip indexes (what the schema costs on insert).
  await client.command({ query: "CREATE TABLE requests_plain AS requests" });
  const described = await (
    await client.query({
      query:
        "SELECT name, type FROM system.projections WHERE database = currentDatabase() AND table = 'requests_plain'",
      format: "JSONEachRow",
    })
  ).json<{ name: string }>();
  for (const { name } of described)
    await client.command({ query: `ALTER TABLE requests_plain DROP PROJECTION ${name}` });
  const indexes = await (
    await client.query({
      query:
        "SELECT name FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = 'requests_plain'",
      format: "JSONEachRow",
    })
  ).json<{ name: string }>();
  for (const { name } of indexes) await client.command({ query: `ALTER TABLE requests_plain DROP INDEX ${name}` });
  await client.command({ query: "SYSTEM STOP MERGES" });

  const plainInsert = async (table: string, part: PendingRow[]) => {
    const body = part.map((r) => r.line).join("\n");
    await client.command({
      query: `INSERT INTO ${table} (${part[0]!.columns.join(", ")}) SETTINGS async_insert = 0 FORMAT JSONCompactEachRow\n${body}`,
    });
  };
  await measureByThread("insert into requests (plain, merges off)", EVENTS, async () => {
    for (const c of chunks()) await plainInsert("requests", c);
  });
  await measureByThread("insert into requests_plain (no proj/idx)", EVENTS, async () => {
    for (const c of chunks()) await plainInsert("requests_plain", c);
  });
  await client.command({ query: "TRUNCATE TABLE requests" });
  await measureByThread("insertExactlyOnce requests (lookup+insert)", EVENTS, async () => {
    for (const c of chunks()) await insertExactlyOnce(client, "requests", c);
  });
  await measureByThread("insertExactlyOnce again (all duplicates)", EVENTS, async () => {
    for (const c of chunks()) await insertExactlyOnce(client, "requests", c);
  });
  await client.command({ query: "SYSTEM START MERGES" });
  await measureByThread("OPTIMIZE requests FINAL (merge cost)", EVENTS * 1, async () => {
    await client.command({ query: "OPTIMIZE TABLE requests FINAL" });
  });
} finally {
  await clickhouse.close();
  await rm(dir, { recursive: true, force: true });
}
