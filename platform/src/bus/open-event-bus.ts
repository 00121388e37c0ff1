import type { BusConfig } from "../config/bus-config.ts";
import type { Logger } from "../logger.ts";
import { EmbeddedEventBus } from "./embedded/embedded-event-bus.ts";
import type { EventBus } from "./event-bus.ts";
import { KafkaEventBus } from "./kafka/kafka-event-bus.ts";

/** The bus a process uses, from its parsed settings: Kafka, or the embedded log (one writer per dir). */
export async function openEventBus(
  config: BusConfig,
  logger: Logger,
  access: "read-write" | "read-only" = "read-write",
): Promise<EventBus> {
  if (config.kind === "embedded") {
    // Segment size and retention come from the parsed env (EMBEDDED_LOG_*); absent, the bus defaults apply.
    const log = config.log;
    return EmbeddedEventBus.open({
      dataDir: config.dir,
      logger,
      access,
      ...(log ? { segmentBytes: log.segmentBytes, retention: log.retention } : {}),
    });
  }
  return new KafkaEventBus({
    brokers: config.brokers,
    clientId: config.clientId,
    logger,
    replicationFactor: config.replicationFactor,
    sessionTimeoutMs: config.sessionTimeoutMs,
    // Kafka requires heartbeats well inside the session timeout.
    heartbeatIntervalMs: Math.max(100, Math.min(3000, Math.floor(config.sessionTimeoutMs / 3))),
  });
}
