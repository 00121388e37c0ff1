import type { ClickHouseClient } from "@clickhouse/client";
import { type RequestEvent, Topics } from "@switchyard/events";
import { beforeEach, describe, expect, it } from "vitest";
import { makeRequestEvent } from "../testing/index.ts";
import { migratedStore } from "../testing/migrated-store.ts";
import { insertExactlyOnce } from "../writer/exactly-once-insert.ts";
import type { PendingRow, RowDecodeResult } from "./pending-row.ts";
import { requestRowJson } from "./request-row.ts";
import { requestRow } from "./request-row-binary.ts";

/** Events reaching each RowBinary case: nulls and values, strings past one LEB128 byte, beyond ASCII, every array. */
function variedEvents(): RequestEvent[] {
  const long = "x".repeat(200);
  const wide = `日本語 é 🚀 ${"ü".repeat(70)}`;
  return [
    makeRequestEvent(),
    makeRequestEvent({
      occurred_at: "1950-03-04T05:06:07.089Z",
      tenant_id: "tenant-é",
      api_key_id: null,
      virtual_key_id: "vk-1",
      config_id: "cfg-1",
      trace_id: long,
      otel_trace_id: "0af7651916cd43dd8448eb211c80319c",
      otel_span_id: "b7ad6b7169203331",
      stream: true,
      model_used: null,
      target_path: "config.targets[1]",
      metadata: { team: "search", ключ: wide, empty: "" },
      user: null,
      status_code: 503,
      error_type: "upstream",
      error_message: wide,
      latency_ms: 1.25,
      upstream_latency_ms: null,
      ttft_ms: 0.001,
      usage: {
        input_tokens: 2 ** 53 - 1,
        output_tokens: 2 ** 40,
        cache_read_tokens: 5,
        cache_write_tokens: 6,
        reasoning_tokens: 7,
        estimated: true,
      },
      cost_nano_usd: 2 ** 62,
      cost_breakdown: { input: 1, cached_input: 2, cache_write: 3, output: 2 ** 33 + 1, reasoning: 0 },
      cache_status: "SEMANTIC HIT",
      retry_count: 2 ** 32 - 1,
      attempts: [
        { provider: "a", model: "m", status_code: -5, latency_ms: 3.5, error_type: "timeout", target_path: long },
        { provider: "b", model: wide, status_code: 200, latency_ms: 0, error_type: null, target_path: "" },
      ],
      guardrails: [{ hook_id: "h", check_id: "pii", verdict: false, deny: true, latency_ms: 2, explanation: wide }],
      guardrail_hooks: [
        {
          hook_id: "h",
          hook_type: "after_request",
          verdict: true,
          deny: false,
          transformed: true,
          async: true,
          latency_ms: 9.75,
        },
      ],
      cache_key: "k".repeat(128),
      cost_saved_nano_usd: 123,
      prompt_id: "p",
      prompt_version: 2 ** 45,
      prompt_label: "prod",
      limit_checks: [{ limit_id: "l", kind: "budget", metric: "cost", allowed: false }],
      bodies: { request: "a".repeat(20_000), response: wide, truncated: true },
    }),
    makeRequestEvent({
      occurred_at: "2299-12-31T23:59:59.999Z",
      bodies: { request: "", response: "", truncated: false },
    }),
  ];
}

const rowOf = (decoded: RowDecodeResult): PendingRow => {
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.row;
};

async function storedRows(client: ClickHouseClient): Promise<unknown[]> {
  const result = await client.query({
    query: "SELECT * EXCEPT ingested_at, toString(source_offset) AS offset_text FROM requests ORDER BY event_id",
    format: "JSONEachRow",
  });
  return result.json();
}

describe("requestRow (RowBinary)", () => {
  const store = migratedStore();
  beforeEach(async () => {
    await store.client.command({ query: "TRUNCATE TABLE requests" });
  });

  it("stores exactly what the JSON line stores", async () => {
    const events = variedEvents();
    // An offset past 15 digits takes the BigInt path.
    const source = (i: number) => ({
      topic: Topics.requests,
      partition: i,
      offset: String(9_007_199_254_740_993n + BigInt(i)),
    });
    await insertExactlyOnce(
      store.client,
      "requests",
      events.map((e, i) => rowOf(requestRowJson(e, source(i)))),
    );
    const json = await storedRows(store.client);
    await store.client.command({ query: "TRUNCATE TABLE requests" });
    await insertExactlyOnce(
      store.client,
      "requests",
      events.map((e, i) => rowOf(requestRow(e, source(i)))),
    );
    const binary = await storedRows(store.client);
    expect(binary).toHaveLength(events.length);
    expect(binary).toEqual(json);
  });

  it("keeps rows decoded together contiguous, and moves a row that outgrows its slab whole", () => {
    const events = Array.from({ length: 200 }, () =>
      makeRequestEvent({ bodies: { request: "b".repeat(30_000), response: "", truncated: false } }),
    );
    const rows = events.map((e, i) =>
      rowOf(requestRow(e, { topic: Topics.requests, partition: 0, offset: String(i) })),
    );
    const lines = rows.map((r) => r.line as Buffer);
    for (const [i, line] of lines.entries()) {
      expect(line.length).toBeGreaterThan(30_000);
      const next = lines[i + 1];
      if (next && next.buffer === line.buffer) expect(next.byteOffset).toBe(line.byteOffset + line.length);
    }
    expect(new Set(lines.map((l) => l.buffer)).size).toBeGreaterThan(1); // 6 MB of rows span several slabs
  });

  it("stores text with a lone surrogate (U+FFFD in its place), which failed the JSON insert for good", async () => {
    // JSON.stringify escapes a lone surrogate and JSON.parse gives it back, so such an event is valid all the
    // way to ingest; the engine's JSON parser refused its escape, failing the whole batch at every redelivery.
    const event = makeRequestEvent({ error_message: "cut \ud83d here", metadata: { k: "\udc00" } });
    const row = rowOf(requestRow(event, { topic: Topics.requests, partition: 0, offset: "1" }));
    await insertExactlyOnce(store.client, "requests", [row]);
    const result = await store.client.query({
      query: "SELECT error_message, metadata FROM requests",
      format: "JSONEachRow",
    });
    expect(await result.json()).toEqual([{ error_message: "cut \ufffd here", metadata: { k: "\ufffd" } }]);
  });

  it("makes a count RowBinary cannot carry a dead letter", () => {
    const decoded = requestRow(makeRequestEvent({ cost_nano_usd: 2 ** 64 }), {
      topic: Topics.requests,
      partition: 0,
      offset: "0",
    });
    expect(decoded).toEqual({ ok: false, reason: "unstorable event: a count does not fit UInt64" });
  });
});
