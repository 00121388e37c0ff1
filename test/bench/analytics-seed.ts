import { join } from "node:path";
import { createClickHouse, runMigrations } from "@switchyard/platform";

/**
 * Synthetic request rows for `npm run bench:analytics`, generated inside the engine
 * (`INSERT … SELECT FROM numbers()`): `rows` requests over the last `days` days, 50 tenants (skewed:
 * tenant-0 is the largest, ~14%), 400 users per tenant (20,000), 4 API keys per tenant, six models over
 * three providers, 94% success with 429/500/400 errors, retries, cache hits, metadata (env, team,
 * feature), prompt ids, and traces of two requests each (`trace-<n>`, both of one tenant). Every value is a hash of the row
 * number, so a seed is reproducible and the bench knows ids without asking. With `bodies` (the default, as the
 * gateway captures them by default) every row has a prompt and an answer, ~1 KB of words together (3.3× smaller
 * ZSTD'd): a point read (trace lookup, request detail) decompresses body columns from the granule's mark to the row,
 * which a store without them never measured (2026-12-08: +10-15 ms of CPU a trace lookup at 10M rows).
 */
export const SEED_TENANTS = 50;
export const SEED_USERS_PER_TENANT = 400;
export const SEED_DAYS = 30;

const h = (k: number) => `cityHash64(number, ${k})`;
// By trace (row pairs), not by row: a trace's requests come from one app, so one tenant.
const tenantIndex = `toUInt32(floor(pow((cityHash64(intDiv(number, 2), 1) % 1000000) / 1000000, 2) * ${SEED_TENANTS}))`;
const model = `arrayElement(['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'claude-haiku-4', 'gemini-2.5-flash', 'gpt-4.1'], 1 + ${h(5)} % 6)`;
const status = `multiIf(${h(9)} % 100 < 94, 200, ${h(9)} % 100 < 97, 429, ${h(9)} % 100 < 99, 500, 400)`;

/** Words for the bodies: text that compresses about as real prompts do (~3×), unlike random bytes. */
const WORDS = `the of and to in is you that it he was for on are as with his they at be this have from or one had by
  word but not what all were we when your can said there use an each which she do how their if will up other about out
  many then them these so some her would make like him into time has look two more write go see number no way could
  people my than first water been call who oil its now find long down day did get come made may part`.split(/\s+/);
const words = (k: number, n: number) =>
  `arrayStringConcat(arrayMap(i -> arrayElement([${WORDS.map((w) => `'${w}'`).join(",")}], 1 + cityHash64(number, ${k}, i) % ${WORDS.length}), range(${n})), ' ')`;
/** A chat request and its answer as the gateway records them (JSON bodies), ~390 and ~650 bytes. */
const BODY_COLUMNS = ", bodies_captured, body_request, body_response";
const BODY_VALUES = `, true,
  concat('{"model":"', m, '","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"', ${words(20, 60)}, '"}]}'),
  concat('{"id":"chatcmpl-', toString(number), '","object":"chat.completion","model":"', m, '","choices":[{"index":0,"message":{"role":"assistant","content":"', ${words(21, 110)}, '"},"finish_reason":"stop"}]}')`;

const seedSql = (bodies: boolean) => `
INSERT INTO requests (event_id, schema_version, occurred_at, gateway_instance, tenant_id, api_key_id,
  virtual_key_id, config_id, trace_id, otel_trace_id, otel_span_id, endpoint, stream, model_requested,
  model_used, model, provider, target_path, metadata, user, status_code, error_type, error_message,
  latency_ms, upstream_latency_ms, ttft_ms, gateway_overhead_ms, input_tokens, output_tokens,
  cache_read_tokens, cache_write_tokens, reasoning_tokens, usage_estimated, cost_nano_usd,
  cost_input_nano_usd, cost_cached_input_nano_usd, cost_cache_write_nano_usd, cost_output_nano_usd,
  cost_reasoning_nano_usd, pricing_source, cache_status, retry_count, attempts, guardrails,
  guardrail_verdict, cost_saved_nano_usd, prompt_id, prompt_version, source_topic, source_partition, source_offset${bodies ? BODY_COLUMNS : ""})
SELECT
  generateUUIDv4(number), 1,
  fromUnixTimestamp64Milli(toInt64({start:Int64} + intDiv(number * {spanMs:UInt64}, {rows:UInt64}))),
  'bench-1', concat('tenant-', toString(t)), concat('key-', toString(t * 4 + ${h(3)} % 4)),
  if(${h(11)} % 5 = 0, concat('vk-', toString(t)), NULL), if(${h(12)} % 4 = 0, concat('cfg-', toString(t)), NULL),
  concat('trace-', toString(intDiv(number, 2))), '', '', '/v1/chat/completions', ${h(13)} % 3 = 0,
  m, m, m, multiIf(m LIKE 'gpt%', 'openai', m LIKE 'claude%', 'anthropic', 'google'), NULL,
  map('env', if(${h(6)} % 10 < 8, 'prod', 'staging'), 'team', concat('team-', toString(${h(7)} % 25)),
    'feature', concat('f-', toString(${h(8)} % 200))),
  concat('user-', toString(t * ${SEED_USERS_PER_TENANT} + ${h(2)} % ${SEED_USERS_PER_TENANT})),
  s, multiIf(s = 200, NULL, s = 429, 'rate_limit_error', s = 500, 'api_error', 'invalid_request_error'),
  if(s = 200, NULL, 'upstream error'),
  lat, lat - 2, if(s = 200, lat * 0.2, NULL), 1 + (${h(10)} % 300) / 100,
  inTok, outTok, ${h(15)} % 500, 0, 0, false, inTok * 2500 + outTok * 10000, inTok * 2500, 0, 0, outTok * 10000, 0,
  'catalog', cache, if(${h(16)} % 50 = 0, 1, 0),
  [(multiIf(m LIKE 'gpt%', 'openai', m LIKE 'claude%', 'anthropic', 'google'), m, toInt32(s), lat - 2, NULL, '')],
  [], 'none', if(cache = 'HIT', inTok * 2500, 0),
  if(${h(17)} % 3 = 0, concat('prompt-', toString(${h(17)} % 30)), ''), if(${h(17)} % 3 = 0, ${h(18)} % 5 + 1, NULL),
  'llm.requests.v1', 0, number${bodies ? BODY_VALUES : ""}
FROM (
  SELECT number, ${tenantIndex} AS t, ${model} AS m, ${status} AS s,
    toFloat64(150 + ${h(10)} % 4000) AS lat, ${h(14)} % 4000 AS inTok, ${h(4)} % 1200 AS outTok,
    multiIf(${h(19)} % 100 < 80, 'DISABLED', ${h(19)} % 100 < 95, 'MISS', 'HIT') AS cache
  FROM numbers({rows:UInt64})
)`;

export interface SeedResult {
  rows: number;
  /** Every row has a prompt and an answer (absent in seeds from before 2026-12-08: read as false). */
  bodies?: boolean;
  seconds: number;
  /** The OPTIMIZE … FINAL after the insert. */
  mergeSeconds: number;
  /** First and last occurred_at, epoch ms. */
  start: number;
  end: number;
}

/** Seeds the embedded store under `dataDir/clickhouse` (the stack's layout) with `rows` requests ending now. */
export async function seedRequests(
  dataDir: string,
  rows: number,
  bodies = true,
  now = Date.now(),
): Promise<SeedResult> {
  // The seed may use every CPU: nothing else runs yet.
  const clickhouse = await createClickHouse({ kind: "embedded", path: join(dataDir, "clickhouse"), maxThreads: 2 });
  try {
    await runMigrations(clickhouse.client);
    // The oldest row is 30 days less 20 minutes old: the prompt/answer bodies' 30-day column TTL would
    // otherwise start a TTLDelete merge rewriting the seeded parts mid-run (~0.2 CPU-s per second at 100k
    // rows), measured as the stack's own cost. A long-running store does that merge every few hours.
    const spanMs = SEED_DAYS * 86_400_000 - 20 * 60_000;
    const start = now - spanMs - 60_000;
    const began = performance.now();
    await clickhouse.client.command({
      query: seedSql(bodies),
      query_params: { start, spanMs, rows },
      // A bulk insert, not an analytics read: no time or memory bound beyond the machine's.
      clickhouse_settings: { max_execution_time: 0, max_memory_usage: "0" },
    });
    const seconds = (performance.now() - began) / 1000;
    // Merged as a long-running store would be: the reads are measured without the seed's background merges.
    const merging = performance.now();
    await clickhouse.client.command({
      query: "OPTIMIZE TABLE requests FINAL",
      clickhouse_settings: { max_execution_time: 0, max_memory_usage: "0" },
    });
    return { rows, bodies, seconds, mergeSeconds: (performance.now() - merging) / 1000, start, end: start + spanMs };
  } finally {
    await clickhouse.close();
  }
}

/**
 * No TTL merges on a kept store (`ANALYTICS_DATA_DIR`), a setting of its table only. From 20 minutes after the seed the
 * bodies' 30-day column TTL expires rows every minute, and each fresh process (every bench run starts the stack
 * anew) starts a TTL merge of the 7.7M-row part again, cancelled when the run ends: a 10M-row trace lookup measured
 * 55-80 instead of 25 ms of CPU a request with it. The seed's bodies are all younger than 30 days when seeded; a reused
 * store keeps them past that (a real one would have cleared the oldest), which only makes its lookups no cheaper.
 */
export async function holdTtlMerges(dataDir: string): Promise<void> {
  const clickhouse = await createClickHouse({ kind: "embedded", path: join(dataDir, "clickhouse") });
  try {
    await clickhouse.client.command({
      query: "ALTER TABLE requests MODIFY SETTING max_number_of_merges_with_ttl_in_pool = 0",
    });
  } finally {
    await clickhouse.close();
  }
}

if (import.meta.main) {
  const [dataDir, rows] = process.argv.slice(2);
  if (!dataDir || !rows) throw new Error("usage: analytics-seed.ts <dataDir> <rows | hold-ttl-merges> [no-bodies]");
  if (rows === "hold-ttl-merges") await holdTtlMerges(dataDir);
  else console.log(JSON.stringify(await seedRequests(dataDir, Number(rows), process.argv[4] !== "no-bodies")));
}
