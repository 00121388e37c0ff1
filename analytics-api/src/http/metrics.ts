import { Attr, Buckets, Metrics, PROMETHEUS_CONTENT_TYPE, Scopes, type Telemetry } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";

/**
 * GET /metrics (analytics :8788/metrics; in the one-process stack it also carries ingest's and the
 * gateway's metrics, since they share one registry) and http.server.request.duration per route.
 * Labels are the route template, method and status: never a trace id, tenant or query value.
 */
export function registerMetrics(app: FastifyInstance, telemetry: Telemetry): void {
  const scrape = telemetry.scrapeMetrics;
  if (scrape) {
    app.get("/metrics", async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await scrape()));
  }
  const duration = telemetry.meter(Scopes.analytics).createHistogram(Metrics.analyticsRequestDuration, {
    unit: "s",
    description: "Duration of analytics API requests",
    advice: { explicitBucketBoundaries: [...Buckets.shortSeconds] },
  });
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route !== "/metrics") {
      duration.record(reply.elapsedTime / 1000, {
        "http.request.method": request.method,
        "http.route": route ?? "unmatched",
        [Attr.httpResponseStatusCode]: reply.statusCode,
      });
    }
    done();
  });
}
