import { Readable } from "node:stream";
import { parentPort } from "node:worker_threads";
import { type ChdbConnection, createChdbConnection } from "chdb/connection";
import type { FromWorker, SerializedError, StatementRequest, Summary, ToWorker } from "./protocol.ts";
import { type RawInsert, rawInsertOf } from "./raw-insert.ts";
import { SessionSettings } from "./session-settings.ts";

/**
 * The thread that owns the process's chdb session (see README). Statements arrive one at a time (the
 * main thread's queue sends the next only when this one answered), so the session's sticky `SET`
 * state is tracked exactly. Everything that touches the engine's results — copying them out of the
 * native call, reading their streams — happens here, off the loop the gateway serves requests on.
 */
const port = parentPort;
if (!port) throw new Error("chdb worker must run in a worker thread");

let connection: ChdbConnection | null = null;
let settings = new SessionSettings({});

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function serialize(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { message: String(error) };
  const { code, type } = error as Error & { code?: unknown; type?: unknown };
  return {
    message: error.message,
    ...(typeof code === "string" ? { code } : {}),
    ...(typeof type === "string" ? { type } : {}),
  };
}

/** The result's bytes in an ArrayBuffer of their own, so it can be transferred instead of copied. */
async function ownBytes(stream: AsyncIterable<unknown>): Promise<ArrayBuffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const { buffer, byteOffset, byteLength } = whole;
  if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength) return buffer;
  return buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer;
}

/**
 * An INSERT whose body arrived as bytes, through chdb's raw insert: the bytes go to the engine as they
 * are (no UTF-16 string, no SQL concatenation), parsed by the engine's own format reader.
 */
async function rawInsert(conn: ChdbConnection, raw: RawInsert, values: ArrayBuffer): Promise<Summary> {
  const result = await conn.chdb.rawInsert({ ...raw, values: Buffer.from(values) });
  const rows = String(result.rowsWritten ?? 0);
  const bytes = String(values.byteLength);
  const elapsed = String(Math.round((result.elapsed ?? 0) * 1e9));
  return {
    read_rows: rows,
    read_bytes: bytes,
    written_rows: rows,
    written_bytes: bytes,
    total_rows_to_read: "0",
    result_rows: "0",
    result_bytes: "0",
    elapsed_ns: elapsed,
  };
}

async function run(
  conn: ChdbConnection,
  request: StatementRequest,
): Promise<{ bytes?: ArrayBuffer; summary?: Summary }> {
  const set = settings.statementFor(request.settings);
  if (set !== null) {
    await conn.command({ query: set });
    settings.applied(request.settings);
  }
  const base = { query: request.query, query_params: request.queryParams, query_id: request.queryId };
  switch (request.kind) {
    case "query": {
      const result = await conn.query(base);
      return { bytes: await ownBytes(result.stream) };
    }
    case "exec": {
      if (request.values instanceof ArrayBuffer) {
        const raw = rawInsertOf(request.query);
        if (raw) return { bytes: new ArrayBuffer(0), summary: await rawInsert(conn, raw, request.values) };
      }
      const values = request.values === undefined ? undefined : streamOf(textOf(request.values));
      const result = await conn.exec({ ...base, values });
      return { bytes: await ownBytes(result.stream), summary: result.summary as Summary };
    }
    case "command":
      return { summary: (await conn.command(base)).summary as Summary };
    case "insert":
      if (request.values instanceof ArrayBuffer) {
        const raw = rawInsertOf(request.query);
        if (raw) return { summary: await rawInsert(conn, raw, request.values) };
      }
      return { summary: (await conn.insert({ ...base, values: textOf(request.values ?? "") })).summary as Summary };
    case "ping": {
      const result = await conn.ping({ select: true });
      if (!result.success) throw result.error;
      return {};
    }
  }
}

function textOf(values: string | ArrayBuffer): string {
  return typeof values === "string" ? values : Buffer.from(values).toString("utf8");
}

/** chdb's exec reads its values as a stream; the worker already holds them whole. */
function streamOf(values: string): Readable {
  return Readable.from([values], { objectMode: false });
}

port.on("message", async (message: ToWorker) => {
  switch (message.type) {
    case "open": {
      try {
        connection = createChdbConnection({ path: message.path });
        settings = new SessionSettings(message.settings);
        const baseline = settings.baselineStatement();
        if (baseline !== null) await connection.command({ query: baseline });
        post({ type: "opened" });
      } catch (error) {
        post({ type: "open-failed", error: serialize(error) });
      }
      return;
    }
    case "statement": {
      if (!connection) {
        post({ type: "failed", id: message.id, error: { message: "embedded ClickHouse is not open" } });
        return;
      }
      try {
        const { bytes, summary } = await run(connection, message);
        post({ type: "done", id: message.id, bytes, summary }, bytes ? [bytes] : []);
      } catch (error) {
        post({ type: "failed", id: message.id, error: serialize(error) });
      }
      return;
    }
    case "close": {
      await connection?.close();
      connection = null;
      post({ type: "closed" });
      return;
    }
    case "exit":
      port.close();
      return;
  }
});
