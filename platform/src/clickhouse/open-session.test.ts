import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClickHouse, createClickHouse } from "./client.ts";

const count = async (clickhouse: ClickHouse) => {
  const result = await clickhouse.client.query({ query: "SELECT count() AS n FROM t", format: "JSONEachRow" });
  return Number((await result.json<{ n: string }>())[0]?.n);
};

/** A second session on the embedded engine: ingest's insert lanes. chdb binds one data dir per process. */
describe("ClickHouse.openSession (embedded)", () => {
  let dir: string;
  let clickhouse: ClickHouse;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-chdb-sessions-"));
    clickhouse = await createClickHouse({ kind: "embedded", path: dir, database: "sessions" });
    await clickhouse.client.command({ query: "CREATE TABLE t (id UInt64) ENGINE = MergeTree ORDER BY id" });
  });
  afterAll(async () => {
    await clickhouse?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("uses the same database, sees the other's parts, and closing it leaves the first session working", async () => {
    const second = await clickhouse.openSession();
    expect(second.database).toBe("sessions");
    await second.client.command({ query: "INSERT INTO t VALUES (1)" });
    await clickhouse.client.command({ query: "INSERT INTO t VALUES (2)" });
    expect(await count(second)).toBe(2);
    // Two statements at once, one per session.
    const [a, b] = await Promise.all([count(clickhouse), count(second)]);
    expect([a, b]).toEqual([2, 2]);
    await second.close();
    // chdb 3.4 hangs a session whose sibling's thread exited: the closed one's thread is parked instead.
    expect(await count(clickhouse)).toBe(2);
    await expect(second.client.command({ query: "SELECT 1" })).rejects.toThrow();
  });
});
