// Standalone ingest: `npm start -w ingest`. The one-process stack composes startIngest itself instead.
import {
  createClickHouse,
  createLogger,
  openEventBus,
  parseEnv,
  port,
  serveMetrics,
  startTelemetry,
  stopOnSignals,
  TelemetryEnv,
  telemetrySettingsFrom,
} from "@switchyard/platform";
import { z } from "zod";
import { startIngest } from "./ingest.ts";
import { IngestEnv, ingestSettingsFrom } from "./settings.ts";

/** Standalone ingest has no HTTP API: its /metrics gets a small port of its own (8789, next to 8787 and 8788). */
const IngestMainEnv = IngestEnv.extend({
  INGEST_METRICS_PORT: port(8789),
  INGEST_METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  ...TelemetryEnv.shape,
});
const env = parseEnv(IngestMainEnv, process.env);
// First: spans and metrics exist before any service object does (OTEL_* env, see README "OpenTelemetry").
const telemetry = startTelemetry(telemetrySettingsFrom(env, "switchyard-ingest"));
const settings = ingestSettingsFrom(env);
const logger = createLogger({ level: settings.logLevel, name: "ingest" });
const clickhouse = await createClickHouse(settings.clickhouse);
const bus = await openEventBus(settings.bus, logger);
const ingest = await startIngest({ bus, clickhouse, logger, config: settings.ingest, telemetry });
const scrape = telemetry.scrapeMetrics;
const metrics = scrape
  ? await serveMetrics({ scrape, port: env.INGEST_METRICS_PORT, host: env.INGEST_METRICS_HOST })
  : null;
logger.info(
  { bus: settings.bus.kind, clickhouse: settings.clickhouse.kind, metrics: metrics ? `${metrics.url}/metrics` : null },
  "ingest started",
);

stopOnSignals(logger, async () => {
  logger.info({ stats: ingest.stats() }, "ingest stopping");
  await ingest.stop();
  await bus.close();
  await clickhouse.close();
  await metrics?.close();
  await telemetry.shutdown();
});
