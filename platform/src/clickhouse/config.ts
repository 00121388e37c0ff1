import { join } from "node:path";
import { z } from "zod";
import { optionalString } from "../config/env-helpers.ts";

/** Name of the database every Switchyard table lives in, unless configured otherwise. */
export const DEFAULT_CLICKHOUSE_DATABASE = "switchyard";

const databaseName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a plain identifier (letters, digits, underscore)")
  .default(DEFAULT_CLICKHOUSE_DATABASE);

/**
 * Bounds every statement of the process's client carries (client-level settings, see README): an
 * analytics query can neither run away with the engine's memory or time nor hand back an unbounded
 * answer to parse on a loop the gateway shares. Inserts stay far inside them; a caller that
 * legitimately needs more (a bulk `INSERT … SELECT`, an export) overrides them per call.
 */
export const QueryLimits = z.object({
  /** `max_execution_time`: the engine stops a statement after this many seconds (TIMEOUT_EXCEEDED). */
  maxExecutionTimeSec: z.number().int().positive().default(30),
  /** `max_memory_usage` per statement (MEMORY_LIMIT_EXCEEDED past it). */
  maxMemoryBytes: z
    .number()
    .int()
    .positive()
    .default(1024 ** 3),
  /** `max_result_rows`: rows of a result (also of an `IN (SELECT …)` set; never of `INSERT … SELECT`). */
  maxResultRows: z.number().int().positive().default(1_000_000),
  /** `max_result_bytes`: uncompressed bytes of a result. */
  maxResultBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 ** 2),
});
export type QueryLimits = z.infer<typeof QueryLimits>;

/** In-process ClickHouse engine (chdb). One data directory per process: the engine is a process singleton. */
export const EmbeddedClickHouseConfig = z.object({
  kind: z.literal("embedded"),
  path: z.string().min(1),
  database: databaseName,
  limits: QueryLimits.prefault({}),
  /**
   * `max_threads` of the engine, which shares the machine with the gateway: by default one CPU is left
   * to the gateway's loop (a 2-CPU box runs queries on one thread). Pending statements beyond
   * `maxQueuedStatements` are refused at once instead of piling up behind a slow one.
   */
  maxThreads: z.number().int().positive().optional(),
  maxQueuedStatements: z.number().int().positive().default(256),
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
  limits: QueryLimits.prefault({}),
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
  /** Embedded engine only: threads per statement (default: CPUs − 1, so one CPU stays the gateway's). */
  CLICKHOUSE_MAX_THREADS: z.coerce.number().int().positive().optional(),
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
    maxThreads: env.CLICKHOUSE_MAX_THREADS,
  });
}
