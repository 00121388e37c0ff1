import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type ClickHouseClient, type ClickHouseClientConfigOptions, createClient } from "@clickhouse/client";
import { createChdbConnection } from "chdb/connection";
import { ClickHouseConfig, type ClickHouseConfigInput } from "./config.ts";

/**
 * The one ClickHouse handle of a process, created by main() and passed down. Both kinds expose the same
 * `@clickhouse/client` API, so repositories and the ingest writer never know which engine they talk to.
 */
type ClientConnection = NonNullable<ClickHouseClientConfigOptions["connection"]>;

/**
 * chdb types its connection against the standalone @clickhouse/client-common package while
 * @clickhouse/client 1.23 bundles its own copy of the same declarations; the runtime contract is one and
 * the same (chdb/connection exists to plug into this option), only the nominal declarations differ.
 */
function chdbConnection(path: string): ClientConnection {
  return createChdbConnection({ path }) as unknown as ClientConnection;
}

export interface ClickHouse {
  readonly kind: "embedded" | "server";
  readonly database: string;
  readonly client: ClickHouseClient;
  close(): Promise<void>;
}

/** Connects (or opens the embedded engine) and makes sure the configured database exists. */
export async function createClickHouse(input: ClickHouseConfigInput): Promise<ClickHouse> {
  const config = ClickHouseConfig.parse(input);
  // The identifier is validated by the config schema (plain identifier), never caller input.
  const createDatabase = `CREATE DATABASE IF NOT EXISTS ${config.database}`;

  if (config.kind === "embedded") {
    const path = resolve(config.path);
    mkdirSync(path, { recursive: true });
    // chdb binds one data directory per process; a second live path is rejected by the engine itself.
    const client = createClient({ connection: chdbConnection(path) });
    try {
      await client.command({ query: createDatabase });
      // The chdb connection ignores the client's `database` option, but its session keeps USE state.
      await client.command({ query: `USE ${config.database}` });
    } catch (error) {
      await client.close();
      throw error;
    }
    return { kind: "embedded", database: config.database, client, close: () => client.close() };
  }

  const common = {
    url: config.url,
    username: config.username,
    password: config.password,
    request_timeout: config.requestTimeoutMs,
  };
  // The HTTP interface rejects every request naming a database that does not exist yet,
  // so the database is created through a short-lived client bound to `default`.
  const bootstrap = createClient(common);
  try {
    await bootstrap.command({ query: createDatabase });
  } finally {
    await bootstrap.close();
  }
  const client = createClient({ ...common, database: config.database });
  return { kind: "server", database: config.database, client, close: () => client.close() };
}
