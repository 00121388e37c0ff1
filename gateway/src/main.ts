import { Topics } from "@switchyard/events";
import {
  busConfigFrom,
  ClickHouseEnv,
  clickHouseConfigFrom,
  createClickHouse,
  createLogger,
  KeyStore,
  type Logger,
  observeEventPublisher,
  openEventBus,
  parseEnv,
  Scopes,
  SpoolingPublisher,
  startTelemetry,
  stopOnSignals,
  type Telemetry,
  TelemetryEnv,
  telemetrySettingsFrom,
} from "@switchyard/platform";
import { startGatewayControlPlane } from "./admin/gateway-control-plane.ts";
import { GatewayEnv, gatewayConfigFrom } from "./config.ts";
import { loadPriceOverrides } from "./pricing-overrides.ts";
import { startGateway } from "./start.ts";

/** Standalone gateway: parses env once, opens the bus, serves until SIGINT/SIGTERM, then drains its events. */
export async function main(): Promise<void> {
  // First: spans and metrics exist before any service object does (OTEL_* env, see README "OpenTelemetry").
  const telemetry = startTelemetry(telemetrySettingsFrom(parseEnv(TelemetryEnv, process.env), "switchyard-gateway"));
  const { logger, shutdown } = await runGateway(telemetry);
  stopOnSignals(logger, shutdown);
}

/**
 * The standalone gateway over a started telemetry (main's, or a bench's own): bus, publisher,
 * control plane, HTTP server. `shutdown` stops them in order and drains the events.
 */
export async function runGateway(
  telemetry: Telemetry,
): Promise<{ url: string; logger: Logger; shutdown(): Promise<void> }> {
  const env = parseEnv(GatewayEnv, process.env);
  const config = gatewayConfigFrom(env);
  const logger = createLogger({ name: "gateway", level: config.logLevel });
  const busConfig = busConfigFrom(env, config.dataDir);
  const bus = await openEventBus(busConfig, logger);
  await bus.ensureTopics(
    [Topics.requests, Topics.feedback, Topics.limitAlerts].map((name) => ({ name, partitions: busConfig.partitions })),
  );
  const publisher = await SpoolingPublisher.start({
    bus,
    spoolDir: config.spoolDir,
    logger,
    maxQueueRecords: config.events.queueMax,
    maxBatchRecords: config.events.batchMax,
    lingerMs: config.events.lingerMs,
  });
  observeEventPublisher(telemetry.meter(Scopes.events), () => publisher.stats());
  // Filled by the control plane: keys file, declarative file and control topic (see docs/control-plane.md).
  const keys = new KeyStore([], config.defaultTenant);
  const control = await startGatewayControlPlane({ bus, logger, config, keys, env: process.env });
  // A ClickHouse server (CLICKHOUSE_URL) lets budgets be rebuilt from the event log at start; the
  // embedded engine is the stack's to open (one per process), so a standalone gateway skips it.
  const clickhouseConfig = clickHouseConfigFrom(parseEnv(ClickHouseEnv, process.env), config.dataDir);
  const clickhouse = clickhouseConfig.kind === "server" ? await createClickHouse(clickhouseConfig) : null;
  const gateway = await startGateway({
    clickhouse,
    config,
    logger,
    keys,
    publisher,
    priceOverrides: await loadPriceOverrides(config.pricingOverridesFile),
    control,
  });
  logger.info(
    {
      url: gateway.url,
      bus: bus.kind,
      openMode: keys.openMode,
      admin: config.adminToken !== undefined,
      tracing: telemetry.tracing,
    },
    "gateway listening",
  );

  const shutdown = async () => {
    const drained = await gateway.drain();
    logger.info(drained, "gateway drained");
    await gateway.close();
    await clickhouse?.close();
    await control.stop();
    await publisher.close();
    await bus.close();
    await telemetry.shutdown();
  };
  return { url: gateway.url, logger, shutdown };
}

if (import.meta.main) await main();
