import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ClickHouse, createClickHouse, createLogger, EmbeddedEventBus } from "@switchyard/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIngest } from "../ingest.ts";
import { migratedStore } from "../testing/migrated-store.ts";
import { REQUEST_COLUMNS } from "./request-row.ts";

/**
 * The `requests` column types requestRow (request-row-binary.ts) writes, in its order. RowBinary carries no
 * types: a migration that changes one (UInt32 → UInt64, Nullable → not) would shift every later byte and fail
 * every insert, or store wrong values. When this test fails, change the encoder with the migration.
 */
const ROW_BINARY_TYPES: Record<string, string> = {
  event_id: "UUID",
  schema_version: "UInt8",
  occurred_at: "DateTime64(3, 'UTC')",
  gateway_instance: "LowCardinality(String)",
  tenant_id: "LowCardinality(String)",
  api_key_id: "Nullable(String)",
  virtual_key_id: "Nullable(String)",
  config_id: "Nullable(String)",
  trace_id: "String",
  otel_trace_id: "String",
  otel_span_id: "String",
  endpoint: "LowCardinality(String)",
  stream: "Bool",
  model_requested: "String",
  model_used: "Nullable(String)",
  model: "LowCardinality(String)",
  provider: "LowCardinality(String)",
  target_path: "Nullable(String)",
  metadata: "Map(String, String)",
  user: "Nullable(String)",
  status_code: "UInt16",
  error_type: "Nullable(String)",
  error_message: "Nullable(String)",
  latency_ms: "Float64",
  upstream_latency_ms: "Nullable(Float64)",
  ttft_ms: "Nullable(Float64)",
  gateway_overhead_ms: "Float64",
  input_tokens: "UInt64",
  output_tokens: "UInt64",
  cache_read_tokens: "UInt64",
  cache_write_tokens: "UInt64",
  reasoning_tokens: "UInt64",
  usage_estimated: "Bool",
  cost_nano_usd: "UInt64",
  cost_input_nano_usd: "UInt64",
  cost_cached_input_nano_usd: "UInt64",
  cost_cache_write_nano_usd: "UInt64",
  cost_output_nano_usd: "UInt64",
  cost_reasoning_nano_usd: "UInt64",
  pricing_source: "LowCardinality(String)",
  cache_status: "LowCardinality(String)",
  retry_count: "UInt32",
  attempts:
    "Array(Tuple(provider String, model String, status_code Int32, latency_ms Float64, error_type Nullable(String), target_path String))",
  guardrails:
    "Array(Tuple(hook_id String, check_id String, verdict Bool, deny Bool, latency_ms Float64, explanation Nullable(String)))",
  guardrail_hooks:
    "Array(Tuple(hook_id String, hook_type LowCardinality(String), verdict Bool, deny Bool, transformed Bool, async Bool, latency_ms Float64))",
  guardrail_verdict: "LowCardinality(String)",
  cache_key: "String",
  cost_saved_nano_usd: "UInt64",
  prompt_id: "String",
  prompt_version: "Nullable(UInt64)",
  prompt_label: "String",
  limit_checks:
    "Array(Tuple(limit_id String, kind LowCardinality(String), metric LowCardinality(String), allowed Bool))",
  bodies_captured: "Bool",
  bodies_truncated: "Bool",
  body_request: "String",
  body_response: "String",
  source_topic: "LowCardinality(String)",
  source_partition: "UInt32",
  source_offset: "UInt64",
};

describe("requests rows as RowBinary", () => {
  const store = migratedStore();

  it("writes exactly the table's column types, in REQUEST_COLUMNS order", async () => {
    const result = await store.client.query({
      query: "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'requests'",
      format: "JSONEachRow",
    });
    const types = Object.fromEntries(
      (await result.json<{ name: string; type: string }>()).map((c) => [c.name, c.type]),
    );
    expect(REQUEST_COLUMNS.map((c) => [c, types[c]])).toEqual(Object.entries(ROW_BINARY_TYPES));
  });
});

describe("ingest on the embedded engine without a body directory", () => {
  const logger = createLogger({ level: "silent", name: "body-dir-test" });
  let dir: string;
  let clickhouse: ClickHouse;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-no-body-dir-"));
    clickhouse = await createClickHouse({ kind: "embedded", path: join(dir, "clickhouse") });
  });
  afterAll(async () => {
    await clickhouse?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses to start, instead of failing every insert for ever", async () => {
    const result = await clickhouse.client.query({
      query: "SELECT path FROM system.disks WHERE name = 'default'",
      format: "JSONEachRow",
    });
    const [disk] = await result.json<{ path: string }>();
    // A file where the body directory must go: the engine can read no insert file this process writes.
    await writeFile(join(disk!.path, "ingest_bodies"), "not a directory");
    const bus = await EmbeddedEventBus.open({ dataDir: join(dir, "log"), logger });
    try {
      await expect(startIngest({ bus, clickhouse, logger })).rejects.toThrow(/cannot read insert files/);
    } finally {
      await bus.close();
    }
  });
});
