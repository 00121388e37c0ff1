import { mkdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { type ClickHouseClient, type ClickHouseClientConfigOptions, createClient } from "@clickhouse/client";
import type { SettingValue } from "./chdb-worker/session-settings.ts";
import { WorkerChdbConnection } from "./chdb-worker/worker-connection.ts";
import { ClickHouseConfig, type ClickHouseConfigInput, type QueryLimits } from "./config.ts";

/**
 * The one ClickHouse handle of a process, created by main() and passed down. Both kinds expose the same
 * `@clickhouse/client` API, so repositories and the ingest writer never know which engine they talk to.
 */
type ClientConnection = NonNullable<ClickHouseClientConfigOptions["connection"]>;

/** The settings every statement of the process's client carries (client-level, so every caller gets them). */
export function limitSettings(limits: QueryLimits): Record<string, SettingValue> {
  return {
    max_execution_time: limits.maxExecutionTimeSec,
    max_memory_usage: limits.maxMemoryBytes,
    max_result_rows: limits.maxResultRows,
    max_result_bytes: limits.maxResultBytes,
  };
}

/**
 * The embedded engine behind a worker thread (chdb-worker/), so neither queries nor inserts run their
 * engine-side work on the loop the gateway shares. The worker speaks @clickhouse/client's Connection
 * contract; the cast only bridges the client's nominal `Stream.Readable` generic.
 */
async function workerConnection(
  path: string,
  settings: Record<string, SettingValue>,
  maxQueued: number,
): Promise<ClientConnection> {
  const worker = await WorkerChdbConnection.open({ path, sessionSettings: settings, maxQueued });
  return worker as unknown as ClientConnection;
}

export interface ClickHouse {
  readonly kind: "embedded" | "server";
  readonly database: string;
  readonly client: ClickHouseClient;
  /**
   * Another session on the same engine and database, for statements that should run beside this handle's
   * (ingest's insert lanes). Embedded: a second chdb session (its own worker) at the same data path; one
   * session runs one statement at a time, two run concurrently (chdb lets sessions of one path coexist). It
   * runs no migrations and creates nothing. Server: this handle's HTTP client, which already runs requests
   * concurrently (its close() leaves the client open). Close it before this handle.
   */
  openSession(): Promise<ClickHouse>;
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
    // One CPU stays the gateway's: on a 2-CPU box the engine runs a query on one thread.
    const settings = {
      ...limitSettings(config.limits),
      max_threads: config.maxThreads ?? Math.max(1, availableParallelism() - 1),
    };
    // chdb binds one data directory per process; a second live path is rejected by the engine itself.
    const session = async (setup: string[]): Promise<ClickHouse> => {
      const connection = await workerConnection(path, settings, config.maxQueuedStatements);
      const client = createClient({ connection, clickhouse_settings: settings });
      try {
        for (const query of setup) await client.command({ query });
        // The chdb connection ignores the client's `database` option, but its session keeps USE state.
        await client.command({ query: `USE ${config.database}` });
      } catch (error) {
        await client.close();
        throw error;
      }
      return {
        kind: "embedded",
        database: config.database,
        client,
        openSession: () => session([]),
        close: () => client.close(),
      };
    };
    return session([createDatabase]);
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
  const client = createClient({
    ...common,
    database: config.database,
    clickhouse_settings: limitSettings(config.limits),
  });
  // Extra sessions are this client; only the handle createClickHouse returned closes it.
  const handle = (close: () => Promise<void>): ClickHouse => ({
    kind: "server",
    database: config.database,
    client,
    openSession: async () => handle(async () => {}),
    close,
  });
  return handle(() => client.close());
}
