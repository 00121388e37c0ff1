// `npm run replay -w ingest [-- --retained-only] [-- --log-dir <dir>]`: rebuild ClickHouse from the
// event log. Stop ingest (and the stack) first.
//
// Replay rebuilds only what the log still holds: the embedded log deletes segments every consumer
// group has read once they are older than EMBEDDED_LOG_RETENTION_HOURS (default 168 h) or past
// EMBEDDED_LOG_RETENTION_BYTES. When its oldest events are gone, replay refuses before truncating
// anything, unless:
//   --retained-only   rebuild from what is retained (older rows are lost from the tables), or
//   --log-dir <dir>   read an archive of the log the operator kept instead (a copy of
//                     DATA_DIR/log with its sealed segment files; opened read-only).
import { parseArgs } from "node:util";
import { createClickHouse, createLogger, openEventBus, parseEnv } from "@switchyard/platform";
import { replayFromLog } from "./replay-from-log.ts";
import { IngestEnv, ingestSettingsFrom } from "./settings.ts";

const { values: args } = parseArgs({
  options: { "retained-only": { type: "boolean", default: false }, "log-dir": { type: "string" } },
});
const settings = ingestSettingsFrom(parseEnv(IngestEnv, process.env));
const logger = createLogger({ level: settings.logLevel, name: "ingest-replay" });
const archive = args["log-dir"];
if (archive && settings.bus.kind !== "embedded")
  throw new Error("--log-dir reads an embedded log archive; unset KAFKA_BROKERS");
const busConfig = archive && settings.bus.kind === "embedded" ? { ...settings.bus, dir: archive } : settings.bus;
const clickhouse = await createClickHouse(settings.clickhouse);
const bus = await openEventBus(busConfig, logger, archive ? "read-only" : "read-write");
try {
  const { groupId, stats } = await replayFromLog({
    bus,
    clickhouse,
    logger,
    config: settings.ingest,
    retainedOnly: args["retained-only"],
  });
  logger.info(
    { groupId, requests: stats.requests.rowsWritten, feedback: stats.feedback.rowsWritten },
    "projections rebuilt from the log",
  );
} finally {
  await bus.close();
  await clickhouse.close();
}
