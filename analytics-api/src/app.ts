import { randomBytes } from "node:crypto";
import {
  activeTelemetry,
  type ClickHouse,
  edgeServerOptions,
  type KeyStore,
  type Logger,
  registerJsonBodyParser,
  type Telemetry,
} from "@switchyard/platform";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { registerConsoleRoute } from "./console-route.ts";
import { CursorCodec } from "./http/cursor.ts";
import { installErrorHandling } from "./http/error-handler.ts";
import { registerMetrics } from "./http/metrics.ts";
import { registerOpenApiRoute } from "./http/openapi.ts";
import { BreakdownRepository } from "./repositories/breakdown-repository.ts";
import { CostsRepository } from "./repositories/costs-repository.ts";
import { LimitAlertsRepository } from "./repositories/limit-alerts-repository.ts";
import { RequestLogRepository } from "./repositories/request-log-repository.ts";
import { TracesRepository } from "./repositories/traces-repository.ts";
import { registerBreakdownRoutes } from "./routes/breakdown-routes.ts";
import { registerCostsRoutes } from "./routes/costs-routes.ts";
import { registerHealthRoute } from "./routes/health-route.ts";
import { registerLimitAlertsRoutes } from "./routes/limit-alerts-routes.ts";
import { registerRequestLogRoutes } from "./routes/request-log-routes.ts";
import { registerTracesRoutes } from "./routes/traces-routes.ts";

export interface AnalyticsAppDeps {
  clickhouse: ClickHouse;
  keyStore: KeyStore;
  logger: Logger;
  /** Clock for default time windows (tests pin it). */
  now?: () => Date;
  /** Signs request-log cursors; give every replica behind one load balancer the same key. Default: random. */
  cursorKey?: Buffer;
  /** /metrics and request metrics; default: what startTelemetry() started in this process (or none). */
  telemetry?: Telemetry;
  /** The gateway's public URL, told to the console (its management pages call it); read per request. */
  gatewayUrl?: () => string | undefined;
}

/** Builds the read-side HTTP app. Routes are thin: parameters → repository → JSON. All SQL is in repositories/. */
export function buildAnalyticsApp(deps: AnalyticsAppDeps): FastifyInstance {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only drops its extra generic parameters.
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Requests Node's HTTP parser rejects and the router's bad-URL / over-long-parameter answers
    // get the same OpenAI-style body as everything else (platform/src/http, shared with the gateway).
    ...edgeServerOptions(),
  });
  // No route takes a body today; any JSON sent anyway is parsed under the same depth bound as the
  // gateway's, and other content types are refused.
  app.removeContentTypeParser("text/plain");
  registerJsonBodyParser(app);
  installErrorHandling(app);
  registerMetrics(app, deps.telemetry ?? activeTelemetry());
  const client = deps.clickhouse.client;
  registerHealthRoute(app, deps.clickhouse);
  registerCostsRoutes(app, {
    keys: deps.keyStore,
    costs: new CostsRepository(client),
    now: deps.now ?? (() => new Date()),
  });
  registerTracesRoutes(app, { keys: deps.keyStore, traces: new TracesRepository(client) });
  registerBreakdownRoutes(app, {
    keys: deps.keyStore,
    breakdowns: new BreakdownRepository(client),
    now: deps.now ?? (() => new Date()),
  });
  registerRequestLogRoutes(app, {
    keys: deps.keyStore,
    log: new RequestLogRepository(client),
    // A key per app unless given: cursors then stay valid only while this process runs.
    cursors: new CursorCodec(deps.cursorKey ?? randomBytes(32)),
    now: deps.now ?? (() => new Date()),
  });
  registerLimitAlertsRoutes(app, {
    keys: deps.keyStore,
    alerts: new LimitAlertsRepository(client),
    now: deps.now ?? (() => new Date()),
  });
  registerOpenApiRoute(app);
  // The web console (static bundle) on the same port; it calls the routes above.
  registerConsoleRoute(app, { gatewayUrl: deps.gatewayUrl });
  return app;
}
