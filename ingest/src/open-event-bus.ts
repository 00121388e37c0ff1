import { type BusConfig, EmbeddedEventBus, type EventBus, type Logger } from "@switchyard/platform";

/** The bus a standalone process uses, from its parsed settings. */
export async function openEventBus(config: BusConfig, logger: Logger): Promise<EventBus> {
  if (config.kind === "embedded") return EmbeddedEventBus.open({ dataDir: config.dir, logger });
  throw new Error("KafkaEventBus is not wired into ingest yet");
}
