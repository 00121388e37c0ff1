import { type RunningAnalyticsApi, startAnalyticsApi } from "@switchyard/analytics-api";
import { Topics } from "@switchyard/events";
import { loadPriceOverrides, type RunningGateway, startGateway, startGatewayControlPlane } from "@switchyard/gateway";
import { type Ingest, startIngest } from "@switchyard/ingest";
import {
  type ClickHouse,
  type ControlPlane,
  createClickHouse,
  type DrainSummary,
  type EventBus,
  KeyStore,
  type Logger,
  loadKeysFile,
  openEventBus,
  SpoolingPublisher,
  startControlPlane,
} from "@switchyard/platform";
import type { StackConfig } from "./config.ts";

export interface RunningStack {
  bus: EventBus;
  keys: KeyStore;
  /** The control plane gateway and analytics share (null when neither runs here). */
  control: ControlPlane | null;
  gateway: RunningGateway | null;
  publisher: SpoolingPublisher | null;
  ingest: Ingest | null;
  analytics: RunningAnalyticsApi | null;
  /**
   * SIGTERM's first step: gateway and analytics API keep serving what clients already sent, each
   * connection's last answer closing it, until their connections are gone or quiet. `stop()` follows.
   */
  drain(): Promise<{ gateway?: DrainSummary; analytics?: DrainSummary }>;
  /** Stops in dependency order: no new requests, flush events, drain ingest, then close the engines. */
  stop(): Promise<void>;
}

/**
 * Starts the chosen services in this one process over one shared bus and one ClickHouse handle
 * (the embedded engines are one-per-process, so sharing is required, not just cheaper).
 */
export async function startStack(config: StackConfig, logger: Logger, keysFile?: string): Promise<RunningStack> {
  const { services } = config;
  const gatewayConfig = { ...config.gateway, keysFile: keysFile ?? config.gateway.keysFile };
  // One KeyStore for gateway and analytics, kept current by the control plane.
  const keys = new KeyStore([], config.gateway.defaultTenant);
  const bus = await openEventBus(config.bus, logger, services.has("gateway") ? "read-write" : "read-only");
  if (services.has("gateway")) {
    await bus.ensureTopics(
      [Topics.requests, Topics.feedback, Topics.deadLetters, Topics.limitAlerts].map((name) => ({
        name,
        partitions: config.bus.partitions,
      })),
    );
  }
  const control = await startStackControlPlane(config, { bus, logger, keys, gatewayConfig });
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
    analytics = await startAnalyticsApi({
      clickhouse,
      keyStore: keys,
      logger,
      port: config.analytics.port,
      host: config.analytics.host,
      // The console's management pages call the gateway, known once it listens (below).
      gatewayUrl: () => config.analytics.gatewayPublicUrl ?? gateway?.url,
      drain: config.gateway.drain,
    });
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
      // The console (on the analytics API's origin) may call the gateway's admin and prompt APIs.
      config: { ...g, consoleOrigin: g.consoleOrigin ?? (analytics ? new URL(analytics.url).origin : undefined) },
      logger,
      keys,
      publisher,
      priceOverrides: await loadPriceOverrides(g.pricingOverridesFile),
      control: control!,
      // Budgets are rebuilt from what ingest has projected (limits/README.md).
      clickhouse,
    });
  }

  return {
    bus,
    keys,
    control,
    gateway,
    publisher,
    ingest,
    analytics,
    async drain() {
      const [gatewayDrained, analyticsDrained] = await Promise.all([gateway?.drain(), analytics?.drain()]);
      return {
        ...(gatewayDrained ? { gateway: gatewayDrained } : {}),
        ...(analyticsDrained ? { analytics: analyticsDrained } : {}),
      };
    },
    async stop() {
      await gateway?.close();
      await publisher?.close();
      await ingest?.stop();
      await analytics?.close();
      await control?.stop();
      await bus.close();
      await clickhouse?.close();
    },
  };
}

/**
 * With the gateway here: its control plane (creates the control topic, accepts admin writes,
 * decrypts virtual keys). Analytics alone only follows the topic — on a read-only embedded log it
 * may not exist yet — and skips virtual keys, so it never holds provider secrets.
 */
async function startStackControlPlane(
  config: StackConfig,
  deps: { bus: EventBus; logger: Logger; keys: KeyStore; gatewayConfig: StackConfig["gateway"] },
): Promise<ControlPlane | null> {
  const { bus, logger, keys, gatewayConfig } = deps;
  if (config.services.has("gateway")) {
    return startGatewayControlPlane({ bus, logger, keys, config: gatewayConfig, env: config.referenceEnv });
  }
  if (!config.services.has("analytics")) return null;
  const file = gatewayConfig.control.configFile;
  return startControlPlane({
    bus,
    logger,
    keys,
    vault: null,
    replicaId: gatewayConfig.instance,
    topicName: gatewayConfig.control.topic,
    seedKeys: await loadKeysFile(gatewayConfig.keysFile),
    file: file ? { path: file, env: {}, vault: null, virtualKeys: "skip" } : undefined,
    topic: bus.kind === "kafka" ? "create" : "if-exists",
  });
}
