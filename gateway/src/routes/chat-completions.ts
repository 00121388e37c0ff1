import type { KeyStore } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import type { ControlLookup } from "../pipeline/control-lookup.ts";
import type { CustomHostGuard } from "../pipeline/custom-host-guard.ts";
import type { EventSink } from "../pipeline/emit.ts";
import type { RoutePlanner } from "../pipeline/plan-route.ts";
import type { EventEnvironment } from "../pipeline/request-event.ts";
import type { ProviderRegistry } from "../providers/registry.ts";
import type { CircuitBreakers } from "../routing/index.ts";
import type { GatewayTelemetry } from "../telemetry/index.ts";
import { CHAT_ENDPOINT, chatEndpoint } from "./chat-endpoint.ts";
import { handleRouted } from "./routed-request.ts";

/** What every routed endpoint (chat, embeddings, completions, messages) needs from the app. */
export interface ChatRouteDeps {
  keys: KeyStore;
  providers: ProviderRegistry;
  sink: EventSink;
  eventEnv: EventEnvironment;
  newTraceId: () => string;
  control: ControlLookup;
  planRoute: RoutePlanner;
  customHosts: CustomHostGuard;
  breakers: CircuitBreakers;
  telemetry: GatewayTelemetry;
}

export function registerChatCompletions(app: FastifyInstance, deps: ChatRouteDeps): void {
  app.post(CHAT_ENDPOINT, handleRouted(chatEndpoint, deps));
}
