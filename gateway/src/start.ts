import type { PriceOverride } from "@switchyard/events";
import {
  activeTelemetry,
  type ClickHouse,
  ConnectionDrain,
  type ControlPlane,
  type DrainSummary,
  type KeyStore,
  type Logger,
  Scopes,
} from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { Agent } from "undici";
import { validateSavedConfig } from "./admin/saved-config-validation.ts";
import { buildGatewayApp } from "./app.ts";
import { ResponseCache } from "./cache/response-cache.ts";
import type { GatewayConfig } from "./config.ts";
import { type EventQueue, queueSink } from "./event-sink.ts";
import { clickHouseTraceDirectory } from "./feedback/trace-directory.ts";
import { startGatewayLimits } from "./limits/start-limits.ts";
import { createProviderRegistry, ProviderId } from "./providers/registry.ts";

// The stack builds the gateway's control plane the same way gateway/src/main.ts does.
export { type GatewayControlPlaneOptions, startGatewayControlPlane } from "./admin/gateway-control-plane.ts";

/** The event publisher as the gateway uses it: enqueue never blocks; stats feed /health. */
export interface GatewayEventPublisher extends EventQueue {
  stats(): object;
}

export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  keys: KeyStore;
  publisher: GatewayEventPublisher;
  priceOverrides: PriceOverride[];
  /** Tenants, API keys, virtual keys, saved configs (see startGatewayControlPlane). */
  control: ControlPlane;
  /** The event log's projection: budgets are rebuilt from it at start (none: counters start empty). */
  clickhouse?: ClickHouse | null;
}

export interface RunningGateway {
  app: FastifyInstance;
  url: string;
  /** The control plane this gateway serves from: `control.view.virtualKey(...)`, `control.view.savedConfig(...)`. */
  control: ControlPlane;
  /**
   * SIGTERM's first step: keeps serving what clients already sent, each connection's last answer
   * closing it, until the connections are gone or quiet (config.drain). `close()` follows.
   */
  drain(): Promise<DrainSummary>;
  /** Stops accepting requests and lets in-flight ones finish (their events are enqueued). */
  close(): Promise<void>;
}

/** Composes the gateway from shared infrastructure; used by gateway/src/main.ts and the one-process stack. */
export async function startGateway(deps: GatewayDeps): Promise<RunningGateway> {
  // One connection pool per upstream origin, shared by every request (keep-alive matters for latency).
  const dispatcher = new Agent({ connections: 256, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
  const cache = new ResponseCache(deps.config.cache, {
    logger: deps.logger,
    meter: activeTelemetry().meter(Scopes.gateway),
  });
  const limits = await startGatewayLimits({
    settings: deps.config.limits,
    instance: deps.config.instance,
    logger: deps.logger,
    publisher: deps.publisher,
    priceOverrides: deps.priceOverrides,
    control: deps.control,
    clickhouse: deps.clickhouse ?? null,
  });
  const app = buildGatewayApp({
    logger: deps.logger,
    bodyLimitBytes: deps.config.bodyLimitBytes,
    keys: deps.keys,
    providers: createProviderRegistry({
      dispatcher,
      mockLatencyMs: deps.config.mockLatencyMs,
      ...(deps.config.vertexTokenUrl ? { vertexTokenUrl: deps.config.vertexTokenUrl } : {}),
    }),
    maxUploadBytes: deps.config.maxUploadBytes,
    sink: queueSink(deps.publisher, deps.logger),
    eventEnv: { gatewayInstance: deps.config.instance, priceOverrides: deps.priceOverrides },
    health: { events: () => ({ ...deps.publisher.stats() }) },
    control: deps.control.view,
    customHostAllowList: deps.config.customHostAllowList,
    breaker: deps.config.breaker,
    maxAttempts: deps.config.maxAttempts,
    cache,
    bodyCapture: deps.config.bodyCapture,
    consoleOrigin: deps.config.consoleOrigin,
    limits,
    // Feedback on a trace recorded under another tenant is a 404 (routes/feedback.ts).
    ...(deps.clickhouse ? { traces: clickHouseTraceDirectory(deps.clickhouse.client, deps.logger) } : {}),
    admin: {
      token: deps.config.adminToken,
      control: deps.control,
      knownProviders: ProviderId.options,
      validateSavedConfig,
    },
  });
  // Serving before the control topic is folded would authenticate against a partial key set.
  await deps.control.view.ready();
  // Counters from the event log before the first request, so a restart forgets no spend.
  await limits.rebuild();
  const connections = new ConnectionDrain(app.server);
  const url = await app.listen({ port: deps.config.port, host: deps.config.host });
  return {
    app,
    url,
    control: deps.control,
    drain: () => connections.drain(deps.config.drain),
    async close() {
      await app.close();
      await dispatcher.close();
      await cache.close();
      await limits.close();
    },
  };
}
