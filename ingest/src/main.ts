// Standalone ingest: `npm start -w ingest`. The one-process stack composes startIngest itself instead.
import { createClickHouse, createLogger, openEventBus, parseEnv } from "@switchyard/platform";
import { startIngest } from "./ingest.ts";
import { IngestEnv, ingestSettingsFrom } from "./settings.ts";

const settings = ingestSettingsFrom(parseEnv(IngestEnv, process.env));
const logger = createLogger({ level: settings.logLevel, name: "ingest" });
const clickhouse = await createClickHouse(settings.clickhouse);
const bus = await openEventBus(settings.bus, logger);
const ingest = await startIngest({ bus, clickhouse, logger, config: settings.ingest });
logger.info({ bus: settings.bus.kind, clickhouse: settings.clickhouse.kind }, "ingest started");

let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal, stats: ingest.stats() }, "ingest shutting down");
  try {
    await ingest.stop();
    await bus.close();
    await clickhouse.close();
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, "ingest shutdown failed");
    process.exit(1);
  }
}
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
