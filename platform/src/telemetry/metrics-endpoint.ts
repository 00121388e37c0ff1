import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { BatchObservableCallback, Meter } from "@opentelemetry/api";
import type { SpoolingPublisherStats } from "../bus/spool/spooling-publisher.ts";
import { Metrics } from "./names.ts";

/** The Prometheus text format's content type (version 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A tiny HTTP server answering GET /metrics, for a service that has no HTTP app of its own
 * (standalone ingest). Services with a fastify app register the route there instead.
 */
export async function serveMetrics(options: {
  scrape: () => Promise<string>;
  port: number;
  host: string;
}): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    if (request.method !== "GET" || path !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    options.scrape().then(
      (body) => response.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE }).end(body),
      () => response.writeHead(500, { "content-type": "text/plain" }).end("metrics collection failed\n"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The gateway's event pipeline on /metrics: queue depth and spool size (gauges), published /
 * spilled / lost records (counters), read from the publisher's stats() at collection time.
 */
/** Returns a function that stops observing. */
export function observeEventPublisher(meter: Meter, stats: () => SpoolingPublisherStats): () => void {
  const queueDepth = meter.createObservableGauge(Metrics.eventsQueueDepth, {
    unit: "{event}",
    description: "Events in the gateway's in-memory publish queue",
  });
  const spool = meter.createObservableGauge(Metrics.eventsSpoolRecords, {
    unit: "{event}",
    description: "Events in the disk spool waiting to be replayed to the bus",
  });
  const published = meter.createObservableCounter(Metrics.eventsPublished, {
    unit: "{event}",
    description: "Events the bus acknowledged",
  });
  const spilled = meter.createObservableCounter(Metrics.eventsSpilled, {
    unit: "{event}",
    description: "Events written to the disk spool (bus failure or full queue)",
  });
  const lost = meter.createObservableCounter(Metrics.eventsLost, {
    unit: "{event}",
    description: "Events lost because the spool could not be written",
  });
  const observables = [queueDepth, spool, published, spilled, lost];
  const callback: BatchObservableCallback = (result) => {
    const s = stats();
    result.observe(queueDepth, s.queueDepth);
    result.observe(spool, s.spooledRecords);
    result.observe(published, s.published);
    result.observe(spilled, s.spilled);
    result.observe(lost, s.lost);
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
