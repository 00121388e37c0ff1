import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { encodeEvent, RequestEvent, Topics } from "@switchyard/events";
import {
  type ClickHouse,
  createClickHouse,
  createLogger,
  EmbeddedEventBus,
  type EventBus,
  KafkaEventBus,
} from "@switchyard/platform";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { makeRequestEvent, pollUntil, waitForCaughtUp } from "./testing/index.ts";

/**
 * The exactly-once claim under real crashes: the standalone ingest process is SIGKILLed at arbitrary
 * points while it inserts and commits, restarted, and finally drained. The store must then hold every
 * event exactly once, and the rollup projection must match the raw rows to the nano-dollar.
 */
const logger = createLogger({ level: "silent", name: "crash-test" });
const MAIN = resolve(import.meta.dirname, "main.ts");
const EVENTS = 6_000;
const PRODUCER_DUPLICATES = 300;
const KILLS = 5;

type BusKind = "embedded" | "kafka";

/**
 * Runs over the embedded log and over the real Kafka broker. On Kafka the topic is shared with
 * other test files, so this run owns a unique tenant and consumer group and counts only its tenant.
 */
describe.each<BusKind>(["embedded", "kafka"])("ingest killed with SIGKILL mid-batch (%s bus)", (busKind) => {
  let dataDir: string;
  const runId = `${busKind}-${process.pid}-${Date.now().toString(36)}`;
  const tenant = `crash-${runId}`;
  const groupId = `ingest-crash-${runId}`;
  const kafkaBrokers = busKind === "kafka" ? inject("kafkaBrokers") : "";
  const serverUrl = process.env.CLICKHOUSE_URL;
  const database = `switchyard_crash_${runId.replace(/-/g, "_")}`;
  const children = new Set<ChildProcess>();

  const openStore = (): Promise<ClickHouse> =>
    serverUrl
      ? createClickHouse({
          kind: "server",
          url: serverUrl,
          username: process.env.CLICKHOUSE_USER ?? "default",
          password: process.env.CLICKHOUSE_PASSWORD ?? "",
          database,
        })
      : createClickHouse({ kind: "embedded", path: join(dataDir, "clickhouse"), database });

  function startChild(): { child: ChildProcess; output: () => string } {
    let output = "";
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        KAFKA_BROKERS: kafkaBrokers,
        INGEST_GROUP_ID: groupId,
        KAFKA_SESSION_TIMEOUT_MS: "3000",
        CLICKHOUSE_DATABASE: database,
        INGEST_BATCH_MAX_ROWS: "100",
        INGEST_FLUSH_INTERVAL_MS: "5",
        LOG_LEVEL: "info",
        // Any free port: the fixed default (8789) collides with whatever else runs on the machine.
        INGEST_METRICS_PORT: "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk) => (output += chunk));
    child.stderr?.on("data", (chunk) => (output += chunk));
    children.add(child);
    child.once("exit", () => children.delete(child));
    return { child, output: () => output };
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "switchyard-crash-"));
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    if (serverUrl) {
      const store = await openStore();
      await store.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await store.close();
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it("leaves no duplicate rows and no double-counted rollup", { timeout: 180_000 }, async () => {
    // Events straddle a month boundary, so most flushes write two parts (one per monthly partition).
    const start = Date.parse("2025-05-31T22:00:00Z");
    const events = Array.from({ length: EVENTS }, (_, i) =>
      makeRequestEvent({
        occurred_at: new Date(start + i * 3_600).toISOString(),
        tenant_id: tenant,
        user: `user-${i % 7}`,
        cost_nano_usd: 1_000 + (i % 97),
      }),
    );
    const openBus = (access: "read-write" | "read-only"): Promise<EventBus> =>
      busKind === "kafka"
        ? Promise.resolve(new KafkaEventBus({ brokers: [kafkaBrokers], clientId: `crash-test-${access}`, logger }))
        : EmbeddedEventBus.open({ dataDir: join(dataDir, "log"), logger, access });
    const writer = await openBus("read-write");
    await writer.ensureTopics(
      [Topics.requests, Topics.feedback, Topics.deadLetters].map((name) => ({ name, partitions: 3 })),
    );
    const records = events.map((e) => ({ key: e.trace_id, value: encodeEvent(RequestEvent, e) }));
    for (let i = 0; i < records.length; i += 500) await writer.publish(Topics.requests, records.slice(i, i + 500));
    await writer.publish(Topics.requests, records.slice(0, PRODUCER_DUPLICATES));
    await writer.close();

    // Watches commits next to the child, which holds the log's writer lock.
    const watcher = await openBus("read-only");
    const committedTotal = async () =>
      [...(await watcher.committedOffsets(groupId, Topics.requests)).values()].reduce(
        (sum, offset) => sum + Number(offset),
        0,
      );

    const endTotal = async () =>
      [...(await watcher.endOffsets(Topics.requests)).values()].reduce((sum, offset) => sum + Number(offset), 0);

    let kills = 0;
    for (let kill = 0; kill < KILLS; kill += 1) {
      const before = await committedTotal();
      // Kafka fetches commit large batches: once the group has caught up there is nothing left to interrupt.
      if (before >= (await endTotal())) break;
      kills += 1;
      const { child, output } = startChild();
      // Let it make some progress, then kill it at a random moment of the next batches.
      await pollUntil(
        async () => ((await committedTotal()) > before || child.exitCode !== null ? true : undefined),
        `ingest progress (run ${kill})\n${output()}`,
        60_000,
      );
      expect(child.exitCode, output()).toBeNull();
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    expect(kills).toBeGreaterThanOrEqual(2);

    const { child, output } = startChild();
    // SIGTERM only once main() installed its handlers (the log may already be fully consumed).
    await pollUntil(() => (output().includes("ingest started") ? true : undefined), `ingest start\n${output()}`);
    await waitForCaughtUp(watcher, groupId, [Topics.requests], 120_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${output()}`);
    });
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code, output()).toBe(0);
    await watcher.close();

    const store = await openStore();
    try {
      const query = async (sql: string) =>
        (await store.client.query({ query: sql, format: "JSONEachRow" })).json<Record<string, number | string>>();
      const [raw] = await query(
        `SELECT count() AS n, uniqExact(event_id) AS ids, sum(cost_nano_usd) AS cost FROM requests WHERE tenant_id = '${tenant}'`,
      );
      const expectedCost = events.reduce((sum, e) => sum + e.cost_nano_usd, 0);
      expect({ n: Number(raw?.n), ids: Number(raw?.ids), cost: Number(raw?.cost) }).toEqual({
        n: EVENTS,
        ids: EVENTS,
        cost: expectedCost,
      });
      const perUser = await query(`SELECT user, count() AS n, sum(cost_nano_usd) AS cost FROM requests
        WHERE tenant_id = '${tenant}' AND toStartOfDay(occurred_at) >= '2025-01-01 00:00:00' GROUP BY user ORDER BY user
        SETTINGS force_optimize_projection = 1`);
      const expected = new Map<string, { n: number; cost: number }>();
      for (const e of events) {
        const entry = expected.get(e.user!) ?? { n: 0, cost: 0 };
        expected.set(e.user!, { n: entry.n + 1, cost: entry.cost + e.cost_nano_usd });
      }
      expect(perUser.map((r) => [r.user, Number(r.n), Number(r.cost)])).toEqual(
        [...expected].sort(([a], [b]) => a.localeCompare(b)).map(([user, v]) => [user, v.n, v.cost]),
      );
    } finally {
      await store.close();
    }
  });
});
