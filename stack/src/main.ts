import {
  createLogger,
  observeEventPublisher,
  parseEnv,
  Scopes,
  startTelemetry,
  stopOnSignals,
  TelemetryEnv,
  telemetrySettingsFrom,
} from "@switchyard/platform";
import { StackEnv, stackConfigFrom } from "./config.ts";
import { startStack } from "./start-stack.ts";

/**
 * `npm start`: the whole Switchyard stack in one process — gateway, ingest and analytics API over
 * the embedded event log and embedded ClickHouse unless env switches a part to a real engine.
 */
export async function main(): Promise<void> {
  // Before anything uses libuv's pool (it sizes itself on first use): embedded ClickHouse holds pool
  // threads while it inserts, and the event log's writes and fsyncs, which answers wait on, need them
  // too. 4 threads (the default) cost the gateway ~30% of its throughput in the one-process stack.
  process.env.UV_THREADPOOL_SIZE ??= "16";
  // First: spans and metrics exist before any service object does (OTEL_* env, see README "OpenTelemetry").
  // One process, one registry: gateway :8787/metrics and analytics :8788/metrics both show every part's metrics.
  const telemetry = startTelemetry(telemetrySettingsFrom(parseEnv(TelemetryEnv, process.env), "switchyard"));
  const env = parseEnv(StackEnv, process.env);
  const config = stackConfigFrom(env);
  const logger = createLogger({ name: "switchyard", level: config.gateway.logLevel });
  const stack = await startStack(config, logger);
  const publisher = stack.publisher;
  if (publisher) observeEventPublisher(telemetry.meter(Scopes.events), () => publisher.stats());

  const lines = [
    "Switchyard is running",
    stack.gateway ? `  gateway        ${stack.gateway.url}/v1  (OpenAI-compatible)` : null,
    stack.analytics ? `  analytics API  ${stack.analytics.url}/v1/analytics/costs` : null,
    stack.ingest ? "  ingest         consuming llm.requests.v1 into ClickHouse" : null,
    `  events         ${config.bus.kind === "kafka" ? `Kafka ${config.bus.brokers.join(",")}` : `embedded log in ${config.bus.kind === "embedded" ? config.bus.dir : ""}`}`,
    `  clickhouse     ${config.clickhouse.kind === "server" ? config.clickhouse.url : `embedded (chdb) in ${config.clickhouse.path}`}`,
    `  telemetry      ${telemetry.tracing ? "spans over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT)" : "tracing off (set OTEL_EXPORTER_OTLP_ENDPOINT)"}${telemetry.scrapeMetrics && stack.analytics ? `; metrics ${stack.analytics.url}/metrics` : ""}`,
    stack.keys.openMode
      ? `  LOCAL-DEV MODE: no API keys configured — no key is needed and everything belongs to tenant "${stack.keys.defaultTenant}". Create a key with the admin API (SWITCHYARD_ADMIN_TOKEN) or SWITCHYARD_CONFIG_FILE to require keys.`
      : "  API keys required",
  ];
  process.stdout.write(`${lines.filter((l) => l !== null).join("\n")}\n`);

  stopOnSignals(logger, async () => {
    logger.info(await stack.drain(), "drained");
    await stack.stop();
    await telemetry.shutdown();
  });
}

if (import.meta.main) await main();
