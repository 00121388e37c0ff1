// `npm run replay -w ingest`: rebuild ClickHouse from the event log. Stop ingest (and the stack) first.
import { createClickHouse, createLogger, openEventBus, parseEnv } from "@switchyard/platform";
import { replayFromLog } from "./replay-from-log.ts";
import { IngestEnv, ingestSettingsFrom } from "./settings.ts";

const settings = ingestSettingsFrom(parseEnv(IngestEnv, process.env));
const logger = createLogger({ level: settings.logLevel, name: "ingest-replay" });
const clickhouse = await createClickHouse(settings.clickhouse);
const bus = await openEventBus(settings.bus, logger);
try {
  const { groupId, stats } = await replayFromLog({ bus, clickhouse, logger, config: settings.ingest });
  logger.info(
    { groupId, requests: stats.requests.rowsWritten, feedback: stats.feedback.rowsWritten },
    "projections rebuilt from the log",
  );
} finally {
  await bus.close();
  await clickhouse.close();
}
