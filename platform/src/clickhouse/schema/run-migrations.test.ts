import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestClickHouse, type TestClickHouse } from "../../testing/index.ts";
import { MIGRATIONS } from "./migrations.ts";
import { runMigrations } from "./run-migrations.ts";

describe("runMigrations", () => {
  let db: TestClickHouse;
  beforeAll(async () => {
    db = await openTestClickHouse();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("applies every migration once, then is a no-op", async () => {
    const client = db.clickhouse.client;
    const first = await runMigrations(client);
    expect(first.applied).toEqual(MIGRATIONS.map((m) => m.version));
    const second = await runMigrations(client);
    expect(second).toEqual({ applied: [], current: first.current });

    const recorded = await (
      await client.query({ query: "SELECT version FROM schema_migrations ORDER BY version", format: "JSONEachRow" })
    ).json<{ version: number }>();
    expect(recorded.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));

    const tables = await (
      await client.query({
        query: "SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name",
        format: "JSONEachRow",
      })
    ).json<{ name: string }>();
    expect(tables.map((t) => t.name)).toEqual([
      "feedback",
      "feedback_current",
      "limit_alerts",
      "requests",
      "schema_migrations",
    ]);
  });

  it("refuses to run when a recorded migration was edited", async () => {
    const edited = MIGRATIONS.map((m) => (m.version === 1 ? { ...m, name: "something else" } : m));
    await expect(runMigrations(db.clickhouse.client, edited)).rejects.toThrow(/version 1/);
  });
});
