import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Readable } from "node:stream";
import { type ClickHouseClient, createClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limitSettings } from "../client.ts";
import { QueryLimits } from "../config.ts";
import { WorkerChdbConnection } from "./worker-connection.ts";

/**
 * The embedded engine behind its worker thread, through @clickhouse/client as the services use it.
 * chdb binds one data dir per process, so the whole file shares one connection.
 */
describe("WorkerChdbConnection", () => {
  let dir: string;
  let connection: WorkerChdbConnection;
  let client: ClickHouseClient;
  const settings = { ...limitSettings(QueryLimits.parse({ maxResultRows: 1_000 })), max_threads: 1 };

  const rows = async <T>(query: string, extra: Parameters<ClickHouseClient["query"]>[0] = { query }) =>
    (await client.query({ ...extra, query, format: "JSONEachRow" })).json<T>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-chdb-worker-"));
    connection = await WorkerChdbConnection.open({
      path: dir,
      sessionSettings: settings,
      maxQueued: 3,
      timeoutGraceMs: 300,
    });
    client = createClient({ connection: connection as never, clickhouse_settings: settings });
    await client.command({ query: "CREATE TABLE t (id UInt64, name String) ENGINE = MergeTree ORDER BY id" });
  });

  afterAll(async () => {
    await client?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs parameterised queries and inserts of every kind the services use", async () => {
    await client.insert({ table: "t", values: [{ id: 1, name: "a" }], format: "JSONEachRow" });
    // ingest's path: exec with a streamed JSONCompactEachRow body.
    const result = await client.exec({
      query: "INSERT INTO t (id, name) SETTINGS async_insert = 0 FORMAT JSONCompactEachRow",
      values: Readable.from(['[2,"b"]\n', '[3,"it\'s"]\n'], { objectMode: false }),
    });
    result.stream.resume();
    expect(
      await rows("SELECT id, name FROM t WHERE id >= {from:UInt64} ORDER BY id", {
        query: "",
        query_params: { from: 2 },
      }),
    ).toEqual([
      { id: 2, name: "b" },
      { id: 3, name: "it's" },
    ]);
    expect(await client.ping()).toEqual({ success: true });
  });

  it("inserts a body of bytes through the raw path: UTF-8 intact, the caller's Buffer untouched, errors surfaced", async () => {
    // ingest's path: the body as Buffers, transferred to the worker and handed to chdb's raw insert.
    const body = [Buffer.from('[20,"é"]\n[21,"日本"]\n'), Buffer.from('[22,"🙂"]\n')];
    const result = await client.exec({
      query: "INSERT INTO t (id, name) SETTINGS async_insert = 0 FORMAT JSONCompactEachRow",
      values: Readable.from(body, { objectMode: false }),
    });
    result.stream.resume();
    const own = Buffer.from("23,x\n");
    await client.insert({ table: "t", values: Readable.from([own], { objectMode: false }), format: "CSV" });
    expect(own.toString()).toBe("23,x\n");
    expect(await rows("SELECT id, name FROM t WHERE id BETWEEN 20 AND 23 ORDER BY id")).toEqual([
      { id: 20, name: "é" },
      { id: 21, name: "日本" },
      { id: 22, name: "🙂" },
      { id: 23, name: "x" },
    ]);
    const bad = client.exec({
      query: "INSERT INTO t (id, name) FORMAT JSONCompactEachRow",
      values: Readable.from([Buffer.from('["not a number","y"]\n')], { objectMode: false }),
    });
    await expect(bad).rejects.toThrow(/Cannot parse|CANNOT_PARSE/);
  });

  it("surfaces the engine's errors with their message, code and type", async () => {
    await expect(rows("SELECT * FROM no_such_table")).rejects.toMatchObject({
      code: "60",
      type: "UNKNOWN_TABLE",
      message: expect.stringContaining("no_such_table"),
    });
    // The session is still usable after an error.
    expect(await rows("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });

  it("fails a call whose parameters cannot reach the worker, and only that call", async () => {
    await expect(rows("SELECT {f:String} AS f", { query: "", query_params: { f: () => 1 } })).rejects.toThrow(
      /cannot pass the statement to the engine/,
    );
    expect(await rows("SELECT {f:String} AS f", { query: "", query_params: { f: "ok" } })).toEqual([{ f: "ok" }]);
  });

  it("applies the default caps to every statement, and a per-call override to that call only", async () => {
    await expect(rows("SELECT number FROM numbers(5000)")).rejects.toMatchObject({ type: "TOO_MANY_ROWS_OR_BYTES" });
    const big = await rows<{ number: string }>("SELECT number FROM numbers(5000)", {
      query: "",
      clickhouse_settings: { max_result_rows: "0" },
    });
    expect(big).toHaveLength(5000);
    // chdb's SET is sticky per session: the next statement must see the defaults again.
    expect(
      await rows(
        "SELECT getSetting('max_result_rows') AS r, getSetting('max_threads') AS t, getSetting('max_memory_usage') AS m",
      ),
    ).toEqual([{ r: 1000, t: 1, m: 1024 ** 3 }]);
  });

  it("stops a statement at max_execution_time with the engine's timeout error", async () => {
    await expect(
      rows("SELECT count() FROM numbers(100000000000) WHERE NOT ignore(cityHash64(number))", {
        query: "",
        clickhouse_settings: { max_execution_time: 1, max_result_rows: "0" },
      }),
    ).rejects.toMatchObject({ type: "TIMEOUT_EXCEEDED" });
  });

  it("answers the caller at its time limit even while it waits behind a slower statement", async () => {
    const slower = rows("SELECT sleep(2) AS s", { query: "", clickhouse_settings: { max_execution_time: 0 } });
    // max_execution_time 1 s + the 300 ms grace, counted from when the call was made.
    const waiting = rows("SELECT 1 AS one", { query: "", clickhouse_settings: { max_execution_time: 1 } });
    await expect(waiting).rejects.toThrow(/did not answer within 1300 ms/);
    expect(await slower).toEqual([{ s: 0 }]);
    expect(await rows("SELECT 2 AS two")).toEqual([{ two: 2 }]);
  });

  it("keeps the main loop free while a long query runs", async () => {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    const before = performance.eventLoopUtilization();
    delay.enable();
    // Seconds of engine work on a busy box, then a ~6 MB result: both happen on the worker.
    await rows("SELECT sum(cityHash64(number)) AS s FROM numbers(1000000000)", {
      query: "",
      clickhouse_settings: { max_execution_time: 0 },
    });
    await client.query({
      query: "SELECT number, toString(number) AS s FROM numbers(300000) ORDER BY cityHash64(number)",
      format: "JSONCompactEachRow",
      clickhouse_settings: { max_result_rows: "0" },
    });
    delay.disable();
    const busy = performance.eventLoopUtilization(before);
    // The loop waited for the answers instead of working: mostly idle, and its turns came on time
    // (the median: on a shared box the scheduler alone can delay a few turns by a slice or two).
    expect(busy.utilization).toBeLessThan(0.5);
    expect(delay.percentile(50) / 1e6).toBeLessThan(50);
  });

  it("refuses statements beyond the queue bound and honours an abort while one waits", async () => {
    const blocker = rows("SELECT sleep(1)");
    const aborts = new AbortController();
    const waiting = [rows("SELECT 1 AS a"), rows("SELECT 2 AS a", { query: "", abort_signal: aborts.signal })];
    const third = rows("SELECT 3 AS a");
    await expect(rows("SELECT 4 AS a")).rejects.toThrow(/busy: 3 statements already waiting/);
    aborts.abort();
    await expect(waiting[1]).rejects.toThrow(/aborted/);
    await blocker;
    expect(await waiting[0]).toEqual([{ a: 1 }]);
    expect(await third).toEqual([{ a: 3 }]);
  });

  it("runs a waiting insert before a waiting query", async () => {
    const order: string[] = [];
    const blocker = rows("SELECT sleep(0.5)");
    const read = rows("SELECT count() AS n FROM t").then(() => order.push("read"));
    const write = client
      .insert({ table: "t", values: [{ id: 9, name: "w" }], format: "JSONEachRow" })
      .then(() => order.push("write"));
    await Promise.all([blocker, read, write]);
    expect(order).toEqual(["write", "read"]);
  });
});
