import type { ClickHouseClient } from "@clickhouse/client";
import type { Migration } from "./migration.ts";
import { MIGRATIONS } from "./migrations.ts";

export interface MigrationResult {
  /** Versions applied by this call (empty when the schema was already current). */
  applied: number[];
  /** Highest version present after the call. */
  current: number;
}

// ReplacingMergeTree: two processes migrating at once (ingest and analytics-api both start) may both
// record a version; the duplicate row is harmless and merges away.
const CREATE_SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version UInt32,
  name String,
  applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree ORDER BY version`;

async function appliedMigrations(client: ClickHouseClient): Promise<Map<number, string>> {
  const result = await client.query({
    query: "SELECT version, any(name) AS name FROM schema_migrations GROUP BY version",
    format: "JSONEachRow",
  });
  const rows = await result.json<{ version: number | string; name: string }>();
  return new Map(rows.map((r) => [Number(r.version), r.name]));
}

/**
 * Brings the schema in the client's database up to date. Idempotent: re-running applies nothing.
 * Refuses to run when a recorded migration's name differs from the code's (an edited or reordered migration).
 */
export async function runMigrations(
  client: ClickHouseClient,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  await client.command({ query: CREATE_SCHEMA_MIGRATIONS });
  const recorded = await appliedMigrations(client);
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    const recordedName = recorded.get(migration.version);
    if (recordedName !== undefined) {
      if (recordedName !== migration.name) {
        throw new Error(
          `schema_migrations version ${migration.version} is "${recordedName}" but the code has "${migration.name}"`,
        );
      }
      continue;
    }
    // No time bound: the read bound (max_execution_time) would fail startup on a large or busy store, whose
    // first statement on a table also pays for loading its parts.
    for (const statement of migration.statements) {
      await client.command({ query: statement, clickhouse_settings: { max_execution_time: 0 } });
    }
    await client.insert({
      table: "schema_migrations",
      values: [{ version: migration.version, name: migration.name }],
      format: "JSONEachRow",
    });
    applied.push(migration.version);
  }
  const versions = [...recorded.keys(), ...applied];
  return { applied, current: versions.length === 0 ? 0 : Math.max(...versions) };
}
