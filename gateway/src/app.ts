import { randomUUID } from "node:crypto";
import {
  activeTelemetry,
  edgeServerOptions,
  type KeyStore,
  type Logger,
  registerJsonBodyParser,
  type Telemetry,
} from "@switchyard/platform";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { type AdminDeps, registerAdminRoutes } from "./admin/admin-routes.ts";
import { DEFAULT_CACHE_SETTINGS, ResponseCache } from "./cache/response-cache.ts";
import { installErrorHandling } from "./error-handler.ts";
import { registerConsoleCors } from "./http/console-cors.ts";
import { collectRoutes, registerGatewayOpenApi } from "./http/openapi.ts";
import type { Limits } from "./limits/limits-service.ts";
import type { ControlLookup } from "./pipeline/control-lookup.ts";
import { createCustomHostGuard } from "./pipeline/custom-host-guard.ts";
import type { PipelineDeps } from "./pipeline/deps.ts";
import type { EventSink } from "./pipeline/emit.ts";
import { defaultPipeline, type PipelineCustomizer } from "./pipeline/pipeline.ts";
import { createRoutePlanner } from "./pipeline/plan-route.ts";
import type { EventEnvironment } from "./pipeline/request-event.ts";
import type { BodyCaptureSettings } from "./pipeline/stages/capture-bodies.ts";
import { registerPromptApi } from "./prompts/prompt-api-routes.ts";
import { registerPromptDraftRun } from "./prompts/prompt-draft-route.ts";
import type { ProviderRegistry } from "./providers/registry.ts";
import { registerAudio } from "./routes/audio.ts";
import { registerChatCompletions } from "./routes/chat-completions.ts";
import { registerCompletions } from "./routes/completions.ts";
import { registerEmbeddings } from "./routes/embeddings.ts";
import { registerFeedback, type TraceDirectory } from "./routes/feedback.ts";
import { type HealthProbe, registerHealth } from "./routes/health.ts";
import { registerImages } from "./routes/images.ts";
import { registerLimitsUsage } from "./routes/limits-usage.ts";
import { registerMessages } from "./routes/messages.ts";
import { registerModels } from "./routes/models.ts";
import { registerPromptRuns } from "./routes/prompts.ts";
import { registerResponses } from "./routes/responses.ts";
import { type BreakerOptions, CircuitBreakers, DEFAULT_MAX_ATTEMPTS } from "./routing/index.ts";
import { createGatewayTelemetry, type GatewayTelemetry, registerMetricsRoute } from "./telemetry/index.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** performance.now() when the request arrived. */
    startedAt: number;
  }
}

export interface GatewayAppDeps {
  logger: Logger;
  bodyLimitBytes: number;
  keys: KeyStore;
  providers: ProviderRegistry;
  sink: EventSink;
  eventEnv: EventEnvironment;
  health: HealthProbe;
  newTraceId?: () => string;
  /** The admin API's control plane and token; absent → /v1/admin/* answers admin_disabled. */
  admin?: AdminDeps;
  /** Virtual keys and saved configs for the request path. */
  control: ControlLookup;
  customHostAllowList?: readonly string[];
  breaker?: Partial<BreakerOptions>;
  /** Upstream tries per request, retries and fallbacks together; default 32. */
  maxAttempts?: number;
  /** Spans and metrics; default: the process' telemetry (startTelemetry in main, or a no-op). */
  telemetry?: GatewayTelemetry;
  /** Where GET /metrics reads from; default: the process' telemetry. */
  metrics?: Pick<Telemetry, "scrapeMetrics">;
  /** Which tenant recorded a trace (ClickHouse): feedback on another tenant's trace is then a 404. */
  traces?: TraceDirectory;
  /** Cap on an audio upload (/v1/audio/transcriptions, /translations); default 25 MiB, OpenAI's. */
  maxUploadBytes?: number;
  /** Extra stages for the request path (see pipeline/README.md); default: the default chains. */
  pipeline?: PipelineCustomizer;
  /** Budgets and rate limits (limits/README.md); absent: no limits stage, no /v1/analytics/limits. */
  limits?: Limits;
  /** The response cache; default: an in-process one with the default settings. */
  cache?: ResponseCache;
  /** Prompt/answer capture into events; default: on (pipeline/stages/capture-bodies.ts). */
  bodyCapture?: BodyCaptureSettings;
  /** The web console's origin, allowed by CORS (http/console-cors.ts); absent: no CORS. */
  consoleOrigin?: string;
}

/**
 * The logger fastify gets: `logger` itself, except that child() answers the same logger. No per-request
 * child logger (a pino child per request cost ~1% of the request's CPU); the few per-request log lines
 * (internal errors) carry what they need themselves. Done here rather than by a custom
 * childLoggerFactory, whose result fastify validates on every request (another ~1%).
 */
function childlessLogger(logger: Logger): FastifyBaseLogger {
  // pino's Logger is a FastifyBaseLogger; the cast only drops its extra generic parameters.
  const base = logger as FastifyBaseLogger;
  const childless: FastifyBaseLogger = Object.create(base, { child: { value: () => childless } });
  return childless;
}

/** Builds the gateway's HTTP app; the transport edge only — request logic lives in pipeline/ and providers/. */
export function buildGatewayApp(deps: GatewayAppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: childlessLogger(deps.logger),
    bodyLimit: deps.bodyLimitBytes,
    // Every request becomes an event; per-request access logs would only duplicate it.
    logController: new LogController({ disableRequestLogging: true }),
    // Requests Node's HTTP parser rejects (e.g. a header value with a raw newline) and the router's
    // bad-URL / over-long-parameter answers still get an OpenAI-style body (platform/src/http).
    ...edgeServerOptions(),
  });
  app.decorateRequest("startedAt", 0);
  // The API speaks JSON only; fastify's default text/plain parser would let other bodies through.
  app.removeContentTypeParser("text/plain");
  // JSON nested deeper than MAX_JSON_DEPTH is a 400 at the edge, before any recursive walk of it.
  registerJsonBodyParser(app);
  // The arrival time is stamped first thing, inside the edge's onRequest hook (one hook per request).
  installErrorHandling(app, (request) => {
    request.startedAt = performance.now();
  });
  registerConsoleCors(app, deps.consoleOrigin);
  // Every route registered from here on is listed in GET /openapi.json.
  const routes = collectRoutes(app);
  registerHealth(app, deps.health);
  registerMetricsRoute(app, deps.metrics ?? activeTelemetry());
  const keys = deps.keys;
  const pipelineDeps: PipelineDeps = {
    keys,
    providers: deps.providers,
    sink: deps.sink,
    eventEnv: deps.eventEnv,
    newTraceId: deps.newTraceId ?? randomUUID,
    control: deps.control,
    planRoute: createRoutePlanner(deps.control),
    // Loopback upstreams (local vLLM/Ollama, fakes) are fine in local-dev mode only; read per check.
    customHosts: createCustomHostGuard({
      get allowLoopback() {
        return keys.openMode;
      },
      allowList: deps.customHostAllowList ?? [],
    }),
    breakers: new CircuitBreakers(deps.breaker),
    maxAttempts: deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    telemetry: deps.telemetry ?? createGatewayTelemetry(),
    limiter: deps.limits?.limiter ?? null,
    cache: deps.cache ?? new ResponseCache(DEFAULT_CACHE_SETTINGS, { logger: deps.logger }),
    bodyCapture: deps.bodyCapture,
  };
  // Every LLM endpoint runs the same chains of stages (pipeline/README.md).
  const pipeline = defaultPipeline(pipelineDeps, deps.pipeline);
  registerChatCompletions(app, pipeline);
  registerEmbeddings(app, pipeline);
  registerCompletions(app, pipeline);
  registerMessages(app, pipeline);
  registerResponses(app, pipeline);
  registerImages(app, pipeline);
  registerAudio(app, pipeline, { maxUploadBytes: deps.maxUploadBytes });
  registerModels(app, pipelineDeps);
  registerFeedback(app, { keys: deps.keys, sink: deps.sink, traces: deps.traces });
  registerPromptRuns(app, pipeline);
  registerPromptDraftRun(app, pipeline);
  registerPromptApi(app, { keys: deps.keys, control: deps.admin?.control });
  registerAdminRoutes(app, deps.admin, deps.keys);
  if (deps.limits) registerLimitsUsage(app, { keys: deps.keys, limits: deps.limits });
  registerGatewayOpenApi(app, routes);
  return app;
}
