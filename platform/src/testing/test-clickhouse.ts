import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ClickHouse, createClickHouse } from "../clickhouse/index.ts";

export interface TestClickHouse {
  clickhouse: ClickHouse;
  /** Closes the client and removes what the test created (temp dir or database). */
  dispose(): Promise<void>;
}

/**
 * A fresh ClickHouse for one test file: the embedded engine in its own temp dir, or, when CLICKHOUSE_URL
 * is set, a uniquely named database on that server (so the same suite runs against a real server).
 */
export async function openTestClickHouse(env: NodeJS.ProcessEnv = process.env): Promise<TestClickHouse> {
  const url = env.CLICKHOUSE_URL;
  if (url) {
    const database = `switchyard_test_${process.pid}_${Date.now().toString(36)}`;
    const clickhouse = await createClickHouse({
      kind: "server",
      url,
      username: env.CLICKHOUSE_USER ?? "default",
      password: env.CLICKHOUSE_PASSWORD ?? "",
      database,
    });
    return {
      clickhouse,
      async dispose() {
        await clickhouse.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
        await clickhouse.close();
      },
    };
  }
  const dir = await mkdtemp(join(tmpdir(), "switchyard-chdb-"));
  const clickhouse = await createClickHouse({ kind: "embedded", path: dir });
  return {
    clickhouse,
    async dispose() {
      await clickhouse.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
