import { type RunningAnalyticsApi, startAnalyticsApi } from "@switchyard/analytics-api";
import { Topics } from "@switchyard/events";
import { loadPriceOverrides, type RunningGateway, startGateway } from "@switchyard/gateway";
import { type Ingest, startIngest } from "@switchyard/ingest";
import {
  type ClickHouse,
  createClickHouse,
  type EventBus,
  KeyStore,
  type Logger,
  loadKeysFile,
  openEventBus,
  SpoolingPublisher,
} from "@switchyard/platform";
import type { StackConfig } from "./config.ts";

export interface RunningStack {
  bus: EventBus;
  keys: KeyStore;
  gateway: RunningGateway | null;
  publisher: SpoolingPublisher | null;
  ingest: Ingest | null;
  analytics: RunningAnalyticsApi | null;
  /** Stops in dependency order: no new requests, flush events, drain ingest, then close the engines. */
  stop(): Promise<void>;
}

/**
 * Starts the chosen services in this one process over one shared bus and one ClickHouse handle
 * (the embedded engines are one-per-process, so sharing is required, not just cheaper).
 */
export async function startStack(config: StackConfig, logger: Logger, keysFile?: string): Promise<RunningStack> {
  const { services } = config;
  const keys = new KeyStore(await loadKeysFile(keysFile ?? config.gateway.keysFile), config.gateway.defaultTenant);
  const bus = await openEventBus(config.bus, logger, services.has("gateway") ? "read-write" : "read-only");
  if (services.has("gateway")) {
    await bus.ensureTopics(
      [Topics.requests, Topics.feedback, Topics.deadLetters].map((name) => ({
        name,
        partitions: config.bus.partitions,
      })),
    );
  }
  const needsClickHouse = services.has("ingest") || services.has("analytics");
  const clickhouse: ClickHouse | null = needsClickHouse ? await createClickHouse(config.clickhouse) : null;

  let publisher: SpoolingPublisher | null = null;
  let gateway: RunningGateway | null = null;
  let ingest: Ingest | null = null;
  let analytics: RunningAnalyticsApi | null = null;
  if (clickhouse && services.has("ingest")) {
    ingest = await startIngest({ bus, clickhouse, logger, config: config.ingest });
  }
  if (clickhouse && services.has("analytics")) {
    analytics = await startAnalyticsApi({ clickhouse, keyStore: keys, logger, ...config.analytics });
  }
  if (services.has("gateway")) {
    const g = config.gateway;
    publisher = await SpoolingPublisher.start({
      bus,
      spoolDir: g.spoolDir,
      logger,
      maxQueueRecords: g.events.queueMax,
      maxBatchRecords: g.events.batchMax,
      lingerMs: g.events.lingerMs,
    });
    gateway = await startGateway({
      config: g,
      logger,
      keys,
      publisher,
      priceOverrides: await loadPriceOverrides(g.pricingOverridesFile),
    });
  }

  return {
    bus,
    keys,
    gateway,
    publisher,
    ingest,
    analytics,
    async stop() {
      await gateway?.close();
      await publisher?.close();
      await ingest?.stop();
      await analytics?.close();
      await bus.close();
      await clickhouse?.close();
    },
  };
}
