import { afterAll, beforeAll } from "vitest";
import { openTestClickHouse, pollUntil, type TestClickHouse } from "../../testing/index.ts";
import { MIGRATIONS } from "./migrations.ts";
import { runMigrations } from "./run-migrations.ts";

/** A migration test's store: what it holds before and after the migration under test. */
export interface StoreBeforeMigration {
  readonly db: TestClickHouse;
  /** Rows of a query, as JSON objects. */
  rows(sql: string): Promise<Array<Record<string, unknown>>>;
  /** Resolves once no mutation is left running (a MATERIALIZE rebuilds existing parts in the background). */
  mutationsDone(): Promise<void>;
}

/**
 * For a migration test (a suite of its own): an embedded store with every migration below `version`
 * applied — the store a release before it left — opened before the suite and disposed after it. The
 * test inserts rows, runs the rest (`runMigrations`) and checks what the migration did to them.
 */
export function storeBeforeMigration(version: number): StoreBeforeMigration {
  let opened: TestClickHouse | undefined;
  beforeAll(async () => {
    opened = await openTestClickHouse();
    await runMigrations(
      opened.clickhouse.client,
      MIGRATIONS.filter((m) => m.version < version),
    );
  });
  afterAll(async () => {
    await opened?.dispose();
  });
  const store: StoreBeforeMigration = {
    get db() {
      if (!opened) throw new Error("the store opens in beforeAll");
      return opened;
    },
    rows: (sql) =>
      store.db.clickhouse.client
        .query({ query: sql, format: "JSONEachRow" })
        .then((r) => r.json<Record<string, unknown>>()),
    mutationsDone: () =>
      pollUntil(
        async () =>
          (await store.rows("SELECT count() AS n FROM system.mutations WHERE NOT is_done"))[0]?.n === 0
            ? true
            : undefined,
        "the migration's mutations",
      ).then(() => undefined),
  };
  return store;
}
