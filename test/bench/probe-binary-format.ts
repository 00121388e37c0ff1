import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createClient } from "@clickhouse/client";
import { runMigrations } from "@switchyard/platform";
import { createChdbConnection } from "chdb/connection";
import { probeRows } from "./probe-events.ts";
import { measureByThread } from "./probe-measure.ts";

/**
 * `node test/bench/probe-binary-format.ts`: the engine's cost of one insert body in a text format
 * (JSONCompactEachRow, what ingest sends) against the binary formats (RowBinary, Native) written by the
 * engine itself from the same rows, each through chdb's native raw insert entry (the JS wrapper only
 * whitelists text formats). A diagnosis tool.
 */
const EVENTS = Number(process.env.PROBE_EVENTS ?? 50_000);
const BATCH = Number(process.env.PROBE_BATCH ?? 10_000);
const require = createRequire(import.meta.url);
const chdbRoot = require("chdb") as { Session: { prototype: Record<string, unknown> } };
const native = require(join(dirname(require.resolve("chdb")), "dist/loader.js")).loadNative() as {
  InsertRawAsyncConnection(connection: unknown, prefix: string, data: Buffer, countLines: boolean): Promise<unknown>;
};
// The session chdb/connection creates: captured on its first query (the handle the native entry needs).
let session: { connection: unknown } | null = null;
const queryAsync = chdbRoot.Session.prototype.queryAsync as (...args: unknown[]) => unknown;
chdbRoot.Session.prototype.queryAsync = function (this: { connection: unknown }, ...args: unknown[]) {
  session = this;
  return queryAsync.apply(this, args);
};
const dir = await mkdtemp(join(tmpdir(), "sy-probe-binary-"));
const conn = createChdbConnection({ path: join(dir, "ch") });
const client = createClient({ connection: conn as never });
try {
  await client.command({ query: "CREATE DATABASE IF NOT EXISTS s" });
  await client.command({ query: "USE s" });
  await runMigrations(client);
  await client.command({ query: "SYSTEM STOP MERGES" });
  const rows = probeRows(EVENTS, Date.now());
  const cols = rows[0]!.columns.join(", ");
  // Inline data: the engine skips whitespace after FORMAT, so a binary body must not start with a
  // whitespace byte (a UUID's first byte can be one): schema_version (1) goes first.
  const binaryCols = ["schema_version", ...rows[0]!.columns.filter((c) => c !== "schema_version")].join(", ");
  const table = "requests";
  const json: Buffer[] = [];
  for (let i = 0; i < rows.length; i += BATCH)
    json.push(
      Buffer.from(
        rows
          .slice(i, i + BATCH)
          .map((r) => `${r.line}\n`)
          .join(""),
      ),
    );
  const raw = (format: string, bodies: Buffer[], lines: boolean) => async () => {
    for (const body of bodies)
      await native.InsertRawAsyncConnection(
        session!.connection,
        `INSERT INTO ${table} (${lines ? cols : binaryCols}) SETTINGS async_insert = 0 FORMAT ${format}`,
        body,
        lines,
      );
  };
  await measureByThread("JSONCompactEachRow (first, warm-up)", EVENTS, raw("JSONCompactEachRow", json, true));
  const written = async (format: string) => {
    const out: Buffer[] = [];
    for (let i = 0; i < EVENTS; i += BATCH) {
      const sql = `SELECT ${binaryCols} FROM ${table} WHERE toUInt64(source_offset) >= ${i} AND toUInt64(source_offset) < ${i + BATCH} LIMIT 1 BY event_id`;
      const r = (
        await (
          session as unknown as { queryAsync(q: string, o: unknown): Promise<{ bytes(): Uint8Array }> }
        ).queryAsync(sql, { format })
      ).bytes();
      out.push(Buffer.from(r));
    }
    return out;
  };
  const rowBinary = await written("RowBinary");
  const nativeFormat = await written("Native");
  console.log(
    "bytes/row json",
    (json[0]!.length / BATCH).toFixed(0),
    "rowbinary",
    (rowBinary[0]!.length / BATCH).toFixed(0),
    "native",
    (nativeFormat[0]!.length / BATCH).toFixed(0),
  );
  // chdb 3.4 hands the body to the engine as inline query data: binary bodies of more than a few MB
  // failed part-way ("Cannot read all data … at row 515" for 10,000 rows), so a failure is reported here.
  const attempt = (label: string, work: () => Promise<void>) =>
    measureByThread(label, EVENTS, work).catch((error: unknown) => console.log(`${label}: failed: ${error}`));
  for (let round = 0; round < Number(process.env.PROBE_ROUNDS ?? 2); round++) {
    await attempt("JSONCompactEachRow", raw("JSONCompactEachRow", json, true));
    await attempt("RowBinary", raw("RowBinary", rowBinary, false));
    await attempt("Native", raw("Native", nativeFormat, false));
  }
  const count = await (await client.query({ query: `SELECT count() n FROM ${table}`, format: "JSONEachRow" })).json();
  console.log("rows stored", count);
} finally {
  await client.close();
  await rm(dir, { recursive: true, force: true });
}
