import { randomUUID } from "node:crypto";
import { mkdir, readdir, rm, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { processAlive } from "@switchyard/platform";

/**
 * Insert bodies handed to the engine as a file instead of inline data, where the engine can read files this
 * process writes (embedded chdb: the same process). `INSERT … SELECT * FROM file(…, JSONCompactEachRow)` of
 * the very same bytes costs the engine less than the raw inline insert (test/bench/probe-file-insert.ts,
 * 10,000-row inserts into `requests`: ~14 µs of engine CPU per row against ~18-19, the parse ~6-7 against
 * ~10-11) and writes the same rows (compared byte for byte there): the inline path's extra is chdb's
 * handling of query-attached data, not the format. The file is transport only: written to the page cache
 * (no fsync: the part the engine writes from it is what is fsync'd before the offset is committed),
 * removed after the statement, and a crash leaves at most one per table, removed at the next start.
 */

/**
 * The default format (feedback, limit alerts); requests rows come as RowBinary (rows/row-binary.ts). Column
 * types come from the insertion table (the engine's default structure inference for INSERT … SELECT * FROM file).
 */
const FORMAT = "JSONCompactEachRow";

/**
 * Squash the file's blocks into one, whatever their count or size: one INSERT must stay one part (the
 * exactly-once rule), and the defaults (≈1M rows, 256 MB) would cut a batch of very large bodies in two.
 */
const ONE_BLOCK = "min_insert_block_size_rows = 1000000000000, min_insert_block_size_bytes = 1000000000000000";

const dirs = new WeakMap<ClickHouseClient, Promise<string | null>>();

const sqlString = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

/**
 * This process's body directory under the engine's data path, or null when the engine cannot read what this
 * process writes there (a ClickHouse server: its path is not ours, or file() is confined to user_files).
 * Decided by trying it: a line written here must come back through file(). `bodyFileDir` asks once per client.
 */
export async function openBodyFileDir(client: ClickHouseClient): Promise<string | null> {
  try {
    const disks = await client.query({
      query: "SELECT path FROM system.disks WHERE name = 'default'",
      format: "JSONEachRow",
    });
    const [disk] = await disks.json<{ path: string }>();
    // A server's data path that happens not to exist here: nothing to create, stay inline.
    if (!disk || !(await stat(disk.path).catch(() => null))?.isDirectory()) return null;
    const root = join(disk.path, "ingest_bodies");
    await mkdir(root, { recursive: true });
    // Leftovers of this pid (reused) or of processes that are gone (a crash between write and unlink).
    for (const entry of await readdir(root)) {
      const pid = Number(entry);
      if (Number.isInteger(pid) && (pid === process.pid || !processAlive(pid)))
        await rm(join(root, entry), { recursive: true, force: true });
    }
    const dir = join(root, String(process.pid));
    await mkdir(dir, { recursive: true });
    const probe = join(dir, "probe.txt");
    const token = randomUUID();
    await writeFile(probe, `${token}\n`);
    try {
      const read = await client.query({
        query: `SELECT line FROM file(${sqlString(probe)}, LineAsString, 'line String')`,
        format: "JSONEachRow",
      });
      const [row] = await read.json<{ line: string }>();
      return row?.line === token ? dir : null;
    } finally {
      await unlink(probe).catch(() => undefined);
    }
  } catch {
    return null;
  }
}

/** The directory insert bodies go through for `client`, or null: send them inline. */
export function bodyFileDir(client: ClickHouseClient): Promise<string | null> {
  let dir = dirs.get(client);
  if (!dir) {
    dir = openBodyFileDir(client);
    dirs.set(client, dir);
  }
  return dir;
}

let sequence = 0;

/**
 * One INSERT of `chunks` (rows in `format`, JSONCompactEachRow unless told, `columns` in their order) into `table` through a file in
 * `dir`: one statement, one part, like the inline insert. `table` and `columns` are the mapper's own names.
 */
export async function insertThroughFile(
  client: ClickHouseClient,
  dir: string,
  table: string,
  columns: readonly string[],
  chunks: readonly Buffer[],
  format: string = FORMAT,
): Promise<void> {
  const path = join(dir, `${table}-${++sequence}.${format === FORMAT ? "jsonl" : "bin"}`);
  await writeFile(path, chunks);
  try {
    await client.command({
      query: `INSERT INTO ${table} (${columns.join(", ")}) SELECT * FROM file(${sqlString(path)}, ${format}) SETTINGS ${ONE_BLOCK}`,
    });
  } finally {
    await unlink(path).catch(() => undefined);
  }
}
