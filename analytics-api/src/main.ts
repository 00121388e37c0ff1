// Standalone analytics API: `npm start -w analytics-api`. The one-process stack uses startAnalyticsApi instead.
import {
  BusEnv,
  busConfigFrom,
  ControlPlaneEnv,
  controlPlaneSettingsFrom,
  createClickHouse,
  createLogger,
  KeyStore,
  loadKeysFile,
  openEventBus,
  parseEnv,
  startControlPlane,
  startTelemetry,
  stopOnSignals,
  TelemetryEnv,
  telemetrySettingsFrom,
} from "@switchyard/platform";
import { AnalyticsEnv, analyticsSettingsFrom } from "./settings.ts";
import { startAnalyticsApi } from "./start.ts";

// First: spans and metrics exist before any service object does (OTEL_* env, see README "OpenTelemetry").
const telemetry = startTelemetry(
  telemetrySettingsFrom(parseEnv(TelemetryEnv, process.env), "switchyard-analytics-api"),
);
// The control plane's settings ride along: API keys come from the control topic (created through
// the gateway's admin API), the keys file and the declarative file, exactly as the gateway sees them.
const env = parseEnv(AnalyticsEnv.extend({ ...BusEnv.shape, ...ControlPlaneEnv.shape }), process.env);
const settings = analyticsSettingsFrom(env);
const controlSettings = controlPlaneSettingsFrom(env);
const logger = createLogger({ level: settings.logLevel, name: "analytics-api" });
const busConfig = busConfigFrom(env, env.DATA_DIR);
// The gateway owns the embedded log (one writer per data dir): analytics only reads it.
const bus = await openEventBus(busConfig, logger, busConfig.kind === "embedded" ? "read-only" : "read-write");
const keyStore = new KeyStore([], settings.defaultTenant);
const control = await startControlPlane({
  bus,
  logger,
  keys: keyStore,
  // Analytics never calls providers: it neither decrypts nor even loads virtual keys.
  vault: null,
  replicaId: `analytics-${process.pid}`,
  topicName: controlSettings.topic,
  seedKeys: await loadKeysFile(settings.keysFile),
  file: controlSettings.configFile
    ? { path: controlSettings.configFile, env: {}, vault: null, virtualKeys: "skip" }
    : undefined,
  topic: busConfig.kind === "kafka" ? "create" : "if-exists",
});
if (keyStore.openMode) logger.warn("no API keys configured: open local-dev mode, every caller sees every tenant");
const clickhouse = await createClickHouse(settings.clickhouse);
const api = await startAnalyticsApi({
  clickhouse,
  keyStore,
  logger,
  port: settings.port,
  host: settings.host,
  telemetry,
  gatewayUrl: () => settings.gatewayPublicUrl,
  drain: settings.drain,
});
logger.info({ url: api.url, clickhouse: settings.clickhouse.kind, bus: bus.kind }, "analytics API listening");

stopOnSignals(logger, async () => {
  logger.info(await api.drain(), "analytics API drained");
  await api.close();
  await control.stop();
  await bus.close();
  await clickhouse.close();
  await telemetry.shutdown();
});
