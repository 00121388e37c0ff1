import { type BusConfig, EmbeddedEventBus, type EventBus, KafkaEventBus, type Logger } from "@switchyard/platform";

/** The bus a standalone ingest process uses, from its parsed settings. */
export async function openEventBus(config: BusConfig, logger: Logger): Promise<EventBus> {
  if (config.kind === "embedded") return EmbeddedEventBus.open({ dataDir: config.dir, logger });
  return new KafkaEventBus({
    brokers: config.brokers,
    clientId: config.clientId,
    logger,
    replicationFactor: config.replicationFactor,
  });
}
