import type { KeyStore } from "@switchyard/platform";
import type { ResponseCache } from "../cache/response-cache.ts";
import type { Limiter } from "../limits/limiter.ts";
import type { ProviderRegistry } from "../providers/registry.ts";
import type { CircuitBreakers } from "../routing/index.ts";
import type { GatewayTelemetry } from "../telemetry/index.ts";
import type { ControlLookup } from "./control-lookup.ts";
import type { CustomHostGuard } from "./custom-host-guard.ts";
import type { EventSink } from "./emit.ts";
import type { RoutePlanner } from "./plan-route.ts";
import type { EventEnvironment } from "./request-event.ts";
import type { BodyCaptureSettings } from "./stages/capture-bodies.ts";

/** What the default stages need from the app: built once in buildGatewayApp, shared by every request. */
export interface PipelineDeps {
  keys: KeyStore;
  providers: ProviderRegistry;
  sink: EventSink;
  eventEnv: EventEnvironment;
  newTraceId: () => string;
  control: ControlLookup;
  planRoute: RoutePlanner;
  customHosts: CustomHostGuard;
  breakers: CircuitBreakers;
  /** Upstream tries per request, retries and fallbacks together. */
  maxAttempts: number;
  telemetry: GatewayTelemetry;
  /** Budgets and rate limits; null: no limits stage (limits/README.md). */
  limiter?: Limiter | null;
  /** The response cache the cache stage reads and writes (in-process, or shared through Redis). */
  cache: ResponseCache;
  /** Prompt/answer capture into the event (stages/capture-bodies.ts); default: on, 64 Ki characters each. */
  bodyCapture?: BodyCaptureSettings;
}
