import type { PriceOverride } from "@switchyard/events";
import type { KeyStore, Logger } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { Agent } from "undici";
import { buildGatewayApp } from "./app.ts";
import type { GatewayConfig } from "./config.ts";
import { type EventQueue, queueSink } from "./event-sink.ts";
import { createProviderRegistry } from "./providers/registry.ts";

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
}

export interface RunningGateway {
  app: FastifyInstance;
  url: string;
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
  });
  const url = await app.listen({ port: deps.config.port, host: deps.config.host });
  return {
    app,
    url,
    async close() {
      await app.close();
      await dispatcher.close();
    },
  };
}
