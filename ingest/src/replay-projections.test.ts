import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClickHouseClient } from "@clickhouse/client";
import { encodeEvent, RequestEvent, Topics } from "@switchyard/events";
import { createLogger, EmbeddedEventBus, runMigrations } from "@switchyard/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIngest } from "./ingest.ts";
import { replayFromLog } from "./replay-from-log.ts";
import { makeRequestEvent, openTestClickHouse, type TestClickHouse, waitForCaughtUp } from "./testing/index.ts";

const logger = createLogger({ level: "silent", name: "replay-projections-test" });
const TOPICS = [Topics.requests, Topics.feedback];

/** The same aggregate read through a projection (forced) and from the rows (projections off). */
async function viaBoth(client: ClickHouseClient, sql: string) {
  const run = async (settings: string) => {
    const result = await client.query({ query: `${sql} SETTINGS ${settings}`, format: "JSONEachRow" });
    return result.json<Record<string, unknown>>();
  };
  return {
    projection: await run("force_optimize_projection = 1"),
    rows: await run("optimize_use_projections = 0"),
  };
}

// The rollups left after migration 006 and the trace projections, each as a query one of them answers.
const PROJECTION_QUERIES = {
  rollup_hourly: `SELECT model, cache_status, count() AS n, sum(cost_nano_usd) AS cost,
      sum(cost_saved_nano_usd) AS saved, countIf(status_code < 400 AND attempt_count > 1) AS rescued
    FROM requests WHERE toStartOfHour(occurred_at) >= '2025-01-01 00:00:00'
    GROUP BY model, cache_status ORDER BY model, cache_status`,
  rollup_daily: `SELECT model, toStartOfDay(occurred_at) AS day, count() AS n, sum(cost_nano_usd) AS cost
    FROM requests WHERE toStartOfDay(occurred_at) >= '2025-01-01 00:00:00' GROUP BY model, day ORDER BY model, day`,
  rollup_daily_users: `SELECT user, count() AS n, sum(cost_nano_usd) AS cost
    FROM requests WHERE toStartOfDay(occurred_at) >= '2025-01-01 00:00:00' GROUP BY user ORDER BY user`,
  trace_keys: "SELECT tenant_id, occurred_at, toString(event_id) AS id FROM requests WHERE trace_id = 'trace-replayed'",
};

describe("replay rebuilds every projection and the new columns from the log", () => {
  let db: TestClickHouse;
  let logDir: string;
  let bus: EmbeddedEventBus;

  beforeAll(async () => {
    db = await openTestClickHouse();
    await runMigrations(db.clickhouse.client);
    logDir = await mkdtemp(join(tmpdir(), "switchyard-replay-projections-"));
    bus = await EmbeddedEventBus.open({ dataDir: logDir, logger, pollIntervalMs: 20 });
    await bus.ensureTopics([...TOPICS, Topics.deadLetters].map((name) => ({ name, partitions: 2 })));
  });
  afterAll(async () => {
    await bus?.close();
    await db?.dispose();
    await rm(logDir, { recursive: true, force: true });
  });

  it("answers the same from each projection before and after a replay, and keeps bodies and fields", async () => {
    const recent = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString();
    const events = Array.from({ length: 30 }, (_, i) =>
      makeRequestEvent({
        occurred_at: i % 3 === 0 ? recent : `2025-06-0${1 + (i % 4)}T1${i % 6}:00:00.000Z`,
        trace_id: i < 3 ? "trace-replayed" : `trace-${i}`,
        model_used: i % 2 ? "gpt-4o" : "claude-sonnet-4",
        user: `user-${i % 5}`,
        cost_nano_usd: 1000 + i,
        cache_status: i % 4 === 0 ? "HIT" : "MISS",
        cost_saved_nano_usd: i % 4 === 0 ? 500 : 0,
        prompt_id: i % 3 === 0 ? "pp-a" : null,
        prompt_version: i % 3 === 0 ? 1 + (i % 2) : null,
        bodies: i % 3 === 0 ? { request: `prompt ${i}`, response: `answer ${i}`, truncated: false } : null,
        limit_checks: [{ limit_id: "rl", kind: "rate", metric: "requests", allowed: true }],
        guardrail_hooks:
          i === 0
            ? [
                {
                  hook_id: "h",
                  hook_type: "before_request",
                  verdict: false,
                  deny: true,
                  transformed: false,
                  async: false,
                  latency_ms: 1,
                },
              ]
            : [],
      }),
    );
    await bus.publish(
      Topics.requests,
      events.map((event) => ({ key: event.trace_id, value: encodeEvent(RequestEvent, event) })),
    );
    const ingest = await startIngest({ bus, clickhouse: db.clickhouse, logger, config: { flushIntervalMs: 5 } });
    await waitForCaughtUp(bus, "switchyard-ingest", TOPICS);
    await ingest.stop();

    const client = db.clickhouse.client;
    const before: Record<string, unknown> = {};
    for (const [name, sql] of Object.entries(PROJECTION_QUERIES)) {
      const { projection, rows } = await viaBoth(client, sql);
      expect(projection, name).toEqual(rows);
      expect(projection.length, name).toBeGreaterThan(0);
      before[name] = projection;
    }
    const columns = `SELECT toString(event_id) AS id, guardrail_verdict, prompt_id, prompt_version, length(limit_checks) AS limits,
      bodies_captured, body_request FROM requests ORDER BY id`;
    const stored = await (await client.query({ query: columns, format: "JSONEachRow" })).json();

    await replayFromLog({ bus, clickhouse: db.clickhouse, logger, config: { flushIntervalMs: 5 }, pollIntervalMs: 10 });

    for (const [name, sql] of Object.entries(PROJECTION_QUERIES)) {
      const { projection, rows } = await viaBoth(client, sql);
      expect(projection, name).toEqual(rows);
      expect(projection, name).toEqual(before[name]);
    }
    expect(await (await client.query({ query: columns, format: "JSONEachRow" })).json()).toEqual(stored);
    expect(stored).toContainEqual(
      expect.objectContaining({
        id: events[0]!.event_id,
        guardrail_verdict: "denied",
        bodies_captured: true,
        body_request: "prompt 0",
      }),
    );
  });
});
