import { PROMETHEUS_CONTENT_TYPE, type Telemetry } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";

/**
 * GET /metrics: the Prometheus text exposition of this process' metrics (gateway :8787/metrics).
 * Unauthenticated like /health, so scrapers need no key; it carries no tenant, user, trace id or
 * metadata label (label cardinality is bounded). Not registered when the prometheus exporter is off.
 */
export function registerMetricsRoute(app: FastifyInstance, telemetry: Pick<Telemetry, "scrapeMetrics">): void {
  const scrape = telemetry.scrapeMetrics;
  if (!scrape) return;
  app.get("/metrics", async (_request, reply) => {
    const body = await scrape();
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(body);
  });
}
