import { join } from "node:path";
import { z } from "zod";
import { optionalString } from "../config/env-helpers.ts";

/** Name of the database every Switchyard table lives in, unless configured otherwise. */
export const DEFAULT_CLICKHOUSE_DATABASE = "switchyard";

const databaseName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a plain identifier (letters, digits, underscore)")
  .default(DEFAULT_CLICKHOUSE_DATABASE);

/** In-process ClickHouse engine (chdb). One data directory per process: the engine is a process singleton. */
export const EmbeddedClickHouseConfig = z.object({
  kind: z.literal("embedded"),
  path: z.string().min(1),
  database: databaseName,
});

/** A ClickHouse server reached over HTTP(S). */
export const ServerClickHouseConfig = z.object({
  kind: z.literal("server"),
  url: z.url(),
  username: z.string().default("default"),
  password: z.string().default(""),
  database: databaseName,
  /** Per-request timeout; inserts and analytics queries both go through it. */
  requestTimeoutMs: z.number().int().positive().default(30_000),
});

export const ClickHouseConfig = z.discriminatedUnion("kind", [EmbeddedClickHouseConfig, ServerClickHouseConfig]);
export type ClickHouseConfig = z.infer<typeof ClickHouseConfig>;
export type ClickHouseConfigInput = z.input<typeof ClickHouseConfig>;

/** The environment variables that select and configure ClickHouse (shared by every service's env schema). */
export const ClickHouseEnv = z.object({
  // Empty counts as unset, so `CLICKHOUSE_URL=` in a compose file selects the embedded engine.
  CLICKHOUSE_URL: optionalString.pipe(z.url().optional()),
  CLICKHOUSE_USER: z.string().default("default"),
  CLICKHOUSE_PASSWORD: z.string().default(""),
  CLICKHOUSE_DATABASE: databaseName,
});
export type ClickHouseEnv = z.infer<typeof ClickHouseEnv>;

/**
 * CLICKHOUSE_URL set → server over HTTP; otherwise the embedded engine under `<dataDir>/clickhouse`.
 * Takes already-parsed env so a process parses its environment exactly once.
 */
export function clickHouseConfigFrom(env: ClickHouseEnv, dataDir: string): ClickHouseConfig {
  if (env.CLICKHOUSE_URL !== undefined) {
    return ClickHouseConfig.parse({
      kind: "server",
      url: env.CLICKHOUSE_URL,
      username: env.CLICKHOUSE_USER,
      password: env.CLICKHOUSE_PASSWORD,
      database: env.CLICKHOUSE_DATABASE,
    });
  }
  return ClickHouseConfig.parse({
    kind: "embedded",
    path: join(dataDir, "clickhouse"),
    database: env.CLICKHOUSE_DATABASE,
  });
}
