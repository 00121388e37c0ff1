import {
  type ClickHouse,
  ConnectionDrain,
  type DrainSettings,
  type DrainSummary,
  type KeyStore,
  type Logger,
  runMigrations,
  type Telemetry,
} from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { buildAnalyticsApp } from "./app.ts";

export interface AnalyticsApiDeps {
  clickhouse: ClickHouse;
  keyStore: KeyStore;
  logger: Logger;
  port: number;
  host: string;
  telemetry?: Telemetry;
  /** The gateway's public URL for the console's management pages (the stack fills it once the gateway listens). */
  gatewayUrl?: () => string | undefined;
  /** SIGTERM's drain before close (platform/src/http/drain.ts). */
  drain: DrainSettings;
}

export interface RunningAnalyticsApi {
  app: FastifyInstance;
  url: string;
  /** SIGTERM's first step: finishes what clients already sent, then `close()` (platform/src/http/drain.ts). */
  drain(): Promise<DrainSummary>;
  close(): Promise<void>;
}

/**
 * Migrates (idempotently, so the API may start before ingest) and listens. Used by main.ts and the
 * one-process stack; the ClickHouse handle stays owned by the caller.
 */
export async function startAnalyticsApi(deps: AnalyticsApiDeps): Promise<RunningAnalyticsApi> {
  await runMigrations(deps.clickhouse.client);
  const app = buildAnalyticsApp({
    clickhouse: deps.clickhouse,
    keyStore: deps.keyStore,
    logger: deps.logger,
    telemetry: deps.telemetry,
    gatewayUrl: deps.gatewayUrl,
  });
  const connections = new ConnectionDrain(app.server);
  const url = await app.listen({ port: deps.port, host: deps.host });
  return { app, url, drain: () => connections.drain(deps.drain), close: () => app.close() };
}
