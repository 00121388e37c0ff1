import type { ClickHouseClient } from "@clickhouse/client";
import { runMigrations } from "@switchyard/platform";
import { afterAll, beforeAll } from "vitest";
import { openTestClickHouse, type TestClickHouse } from "./test-clickhouse.ts";

/** A suite's store with every migration applied. Vitest-only: not exported by the testing index the bench scripts use. */
export interface MigratedStore {
  readonly db: TestClickHouse;
  readonly client: ClickHouseClient;
}

/** Opens a migrated test store before the suite and disposes it after; read `db`/`client` inside the tests. */
export function migratedStore(): MigratedStore {
  let opened: TestClickHouse | undefined;
  beforeAll(async () => {
    opened = await openTestClickHouse();
    await runMigrations(opened.clickhouse.client);
  });
  afterAll(async () => {
    await opened?.dispose();
  });
  const db = () => {
    if (!opened) throw new Error("the store opens in beforeAll");
    return opened;
  };
  return {
    get db() {
      return db();
    },
    get client() {
      return db().clickhouse.client;
    },
  };
}
