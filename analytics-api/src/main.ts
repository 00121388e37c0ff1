// Standalone analytics API: `npm start -w analytics-api`. The one-process stack uses startAnalyticsApi instead.
import { createClickHouse, createLogger, KeyStore, loadKeysFile, parseEnv } from "@switchyard/platform";
import { AnalyticsEnv, analyticsSettingsFrom } from "./settings.ts";
import { startAnalyticsApi } from "./start.ts";

const settings = analyticsSettingsFrom(parseEnv(AnalyticsEnv, process.env));
const logger = createLogger({ level: settings.logLevel, name: "analytics-api" });
const keyStore = new KeyStore(await loadKeysFile(settings.keysFile), settings.defaultTenant);
if (keyStore.openMode) logger.warn("no API keys configured: open local-dev mode, every caller sees every tenant");
const clickhouse = await createClickHouse(settings.clickhouse);
const api = await startAnalyticsApi({ clickhouse, keyStore, logger, port: settings.port, host: settings.host });
logger.info({ url: api.url, clickhouse: settings.clickhouse.kind }, "analytics API listening");

let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, "analytics API shutting down");
  try {
    await api.close();
    await clickhouse.close();
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, "analytics API shutdown failed");
    process.exit(1);
  }
}
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
