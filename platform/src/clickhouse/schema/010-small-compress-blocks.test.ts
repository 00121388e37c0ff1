import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { smallCompressBlocks } from "./010-small-compress-blocks.ts";
import { MIGRATIONS } from "./migrations.ts";
import { runMigrations } from "./run-migrations.ts";
import { storeBeforeMigration } from "./store-before-migration.ts";

/** 40,000 rows: ~0.5 MB of trace ids, several default blocks and dozens of 16 KiB ones. */
const INSERT = `INSERT INTO requests (event_id, occurred_at, tenant_id, trace_id)
  SELECT generateUUIDv4(), toDateTime64('2025-06-01 10:00:00', 3, 'UTC') + number, 'tenant-a',
    concat('trace-', toString(number))
  FROM numbers(40000)`;

/**
 * The uncompressed sizes of a column file's blocks, read from the file itself (each block: a 16-byte checksum,
 * a method byte, the compressed size including the 9-byte header, the uncompressed size, then the data).
 */
function blockSizes(file: Buffer): number[] {
  const sizes: number[] = [];
  for (let at = 0; at < file.length; ) {
    sizes.push(file.readUInt32LE(at + 16 + 5));
    at += 16 + file.readUInt32LE(at + 16 + 1);
  }
  return sizes;
}

describe("migration 010 (4-16 KiB compression blocks)", () => {
  const store = storeBeforeMigration(smallCompressBlocks.version);

  it("writes new parts in blocks of at most 16 KiB, where the default wrote blocks of 64 KiB and more", async () => {
    const client = store.db.clickhouse.client;
    const embedded = store.db.clickhouse.kind === "embedded";
    // Embedded (CI's store): the part's file itself. A server's data dir is not ours to read: there, what the
    // server reports of the table's settings.
    const layout = async (): Promise<number[] | string> => {
      const [row] = embedded
        ? await store.rows(
            "SELECT path FROM system.parts WHERE database = currentDatabase() AND table = 'requests' AND active",
          )
        : await store.rows(
            "SELECT create_table_query AS path FROM system.tables WHERE database = currentDatabase() AND name = 'requests'",
          );
      return embedded ? blockSizes(await readFile(join(String(row?.path), "trace_id.bin"))) : String(row?.path);
    };
    // Wide parts (one file per column), as a big store's merged parts are: 009 keeps small parts compact.
    const wide = () => client.command({ query: "ALTER TABLE requests MODIFY SETTING min_bytes_for_wide_part = 0" });
    await wide();
    await client.command({ query: INSERT });
    const before = await layout();

    await client.command({ query: "TRUNCATE TABLE requests" });
    await runMigrations(client, [
      ...MIGRATIONS.filter((m) => m.version !== smallCompressBlocks.version),
      smallCompressBlocks,
    ]);
    await wide();
    await client.command({ query: INSERT });
    const after = await layout();

    if (typeof before === "string" || typeof after === "string") {
      expect(before).not.toContain("max_compress_block_size");
      expect(after).toContain("max_compress_block_size = 16384");
      return;
    }
    expect(Math.max(...before)).toBeGreaterThanOrEqual(65536);
    expect(Math.max(...after)).toBeLessThanOrEqual(16384);
    expect(after.length).toBeGreaterThan(before.length * 3); // 28 against 5 when written
  });
});
