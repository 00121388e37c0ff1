import type { PriceOverride } from "@switchyard/events";
import type { ControlPlane, KeyStore, Logger } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { Agent } from "undici";
import { validateSavedConfig } from "./admin/saved-config-validation.ts";
import { buildGatewayApp } from "./app.ts";
import type { GatewayConfig } from "./config.ts";
import { type EventQueue, queueSink } from "./event-sink.ts";
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
}

export interface RunningGateway {
  app: FastifyInstance;
  url: string;
  /** The control plane this gateway serves from: `control.view.virtualKey(...)`, `control.view.savedConfig(...)`. */
  control: ControlPlane;
  /** Stops accepting requests and lets in-flight ones finish (their events are enqueued). */
  close(): Promise<void>;
}

/** Composes the gateway from shared infrastructure; used by gateway/src/main.ts and the one-process stack. */
export async function startGateway(deps: GatewayDeps): Promise<RunningGateway> {
  // One connection pool per upstream origin, shared by every request (keep-alive matters for latency).
  const dispatcher = new Agent({ connections: 256, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
  const app = buildGatewayApp({
    logger: deps.logger,
    bodyLimitBytes: deps.config.bodyLimitBytes,
    keys: deps.keys,
    providers: createProviderRegistry({ dispatcher, mockLatencyMs: deps.config.mockLatencyMs }),
    sink: queueSink(deps.publisher, deps.logger),
    eventEnv: { gatewayInstance: deps.config.instance, priceOverrides: deps.priceOverrides },
    health: { events: () => ({ ...deps.publisher.stats() }) },
    control: deps.control.view,
    customHostAllowList: deps.config.customHostAllowList,
    breaker: deps.config.breaker,
    maxAttempts: deps.config.maxAttempts,
    admin: {
      token: deps.config.adminToken,
      control: deps.control,
      knownProviders: ProviderId.options,
      validateSavedConfig,
    },
  });
  // Serving before the control topic is folded would authenticate against a partial key set.
  await deps.control.view.ready();
  const url = await app.listen({ port: deps.config.port, host: deps.config.host });
  return {
    app,
    url,
    control: deps.control,
    async close() {
      await app.close();
      await dispatcher.close();
    },
  };
}
