import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { Readable } from "node:stream";
import { Worker } from "node:worker_threads";
import { queueError, toError } from "./errors.ts";
import type { FromWorker, StatementKind, StatementRequest, Summary, ToWorker } from "./protocol.ts";
import { engineSettings, type SettingValue } from "./session-settings.ts";
import { type SessionThread, sessionOpened } from "./session-threads.ts";
import { bodyOf } from "./statement-values.ts";

/** What @clickhouse/client hands a Connection; only the fields the embedded engine can honour are read. */
interface StatementParams {
  query: string;
  query_params?: Record<string, unknown>;
  clickhouse_settings?: Record<string, unknown>;
  abort_signal?: AbortSignal;
  query_id?: string;
  values?: unknown;
}

export interface WorkerChdbOptions {
  /** The chdb data directory (one per process). */
  path: string;
  /** Settings the session holds from the start; every statement sees them unless it overrides them. */
  sessionSettings: Record<string, SettingValue>;
  /** Statements waiting beyond this are refused at once (an error naming the queue), never piled up. */
  maxQueued: number;
  /** Added to a statement's `max_execution_time` before the caller is answered with a timeout anyway. */
  timeoutGraceMs?: number;
}

interface Pending {
  request: StatementRequest;
  resolve(value: { bytes?: ArrayBuffer; summary?: Summary }): void;
  reject(error: Error): void;
  /** The caller has been answered (timeout, abort): the worker's answer is only awaited, then dropped. */
  settled: boolean;
  cleanup(): void;
}

/** Inserts, commands and execs go before queued queries: ingest's progress never waits behind a report. */
const WRITES = new Set<StatementKind>(["insert", "exec", "command"]);
const ZERO_SUMMARY: Summary = {
  read_rows: "0",
  read_bytes: "0",
  written_rows: "0",
  written_bytes: "0",
  total_rows_to_read: "0",
  result_rows: "0",
  result_bytes: "0",
  elapsed_ns: "0",
};

/** A one-shot stream over the result (ResultSet.close() destroys it unread: the listener absorbs that). */
function resultStream(bytes: ArrayBuffer | undefined): Readable {
  const stream = Readable.from(bytes && bytes.byteLength > 0 ? [Buffer.from(bytes)] : [], { objectMode: false });
  stream.on("error", () => {});
  return stream;
}

/**
 * @clickhouse/client's Connection over a worker thread that owns the chdb session (see README): the
 * services keep their ClickHouseClient while the engine's calls, their results and their settings
 * bookkeeping leave the main loop. Statements run one at a time (chdb serialises them anyway), writes
 * before reads, with a bounded queue, a timeout and abort signals honoured while a statement waits.
 */
export class WorkerChdbConnection {
  readonly #worker: Worker;
  readonly #options: WorkerChdbOptions;
  readonly #writes: Pending[] = [];
  readonly #reads: Pending[] = [];
  #inFlight: Pending | null = null;
  #nextId = 1;
  #dead: Error | null = null;
  #closing: Promise<void> | null = null;
  /** Keeps the thread until no session is open (session-threads.ts). */
  readonly #thread: SessionThread;
  /** Resolved when the last accepted statement has been answered (close waits for it). */
  #idle: Array<() => void> = [];

  private constructor(worker: Worker, options: WorkerChdbOptions) {
    this.#worker = worker;
    this.#options = options;
    this.#thread = sessionOpened(worker);
    worker.on("message", (message: FromWorker) => this.#onMessage(message));
    worker.on("error", (error) => this.#fail(new Error(`embedded ClickHouse worker failed: ${error.message}`)));
    worker.on("exit", (code) => this.#fail(new Error(`embedded ClickHouse worker exited (${code})`)));
    worker.unref();
  }

  /** Starts the worker and opens the session; rejects with the engine's error (e.g. a second data dir). */
  static async open(options: WorkerChdbOptions): Promise<WorkerChdbConnection> {
    // The native addon must stay loaded by the main thread too: a worker that is the only one to have
    // loaded it unloads it when it exits, and that crashes the process (SIGSEGV, chdb 3.4).
    createRequire(import.meta.url)("chdb");
    const worker = new Worker(new URL("./worker.ts", import.meta.url));
    let onMessage = (_message: FromWorker) => {};
    let onError = (_error: Error) => {};
    let onExit = (_code: number) => {};
    const opened = new Promise<void>((resolve, reject) => {
      onMessage = (message) => {
        if (message.type === "opened") resolve();
        if (message.type === "open-failed") reject(toError(message.error));
      };
      onError = reject;
      onExit = (code) => reject(new Error(`embedded ClickHouse worker exited (${code}) while opening`));
    });
    worker.on("message", onMessage).on("error", onError).on("exit", onExit);
    const open: ToWorker = { type: "open", path: options.path, settings: options.sessionSettings };
    worker.postMessage(open);
    try {
      await opened;
    } catch (error) {
      await worker.terminate();
      throw error;
    } finally {
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
    }
    return new WorkerChdbConnection(worker, options);
  }

  /** Statements accepted and not answered yet (waiting and running). */
  get pending(): number {
    return this.#writes.length + this.#reads.length + (this.#inFlight ? 1 : 0);
  }

  async query(params: StatementParams) {
    const queryId = params.query_id ?? randomUUID();
    const { bytes } = await this.#submit("query", params, queryId);
    return { stream: resultStream(bytes), ...this.#base(queryId) };
  }

  async exec(params: StatementParams) {
    const queryId = params.query_id ?? randomUUID();
    const { bytes, summary } = await this.#submit("exec", params, queryId, await bodyOf(params.values));
    return { stream: resultStream(bytes), ...this.#base(queryId), summary: summary ?? ZERO_SUMMARY };
  }

  async command(params: StatementParams) {
    const queryId = params.query_id ?? randomUUID();
    const { summary } = await this.#submit("command", params, queryId);
    return { ...this.#base(queryId), summary: summary ?? ZERO_SUMMARY };
  }

  async insert(params: StatementParams) {
    const queryId = params.query_id ?? randomUUID();
    const { summary } = await this.#submit("insert", params, queryId, await bodyOf(params.values));
    return { ...this.#base(queryId), summary: summary ?? ZERO_SUMMARY };
  }

  async ping(_params?: unknown): Promise<{ success: true } | { success: false; error: Error }> {
    try {
      await this.#submit("ping", { query: "SELECT 1" }, randomUUID());
      return { success: true };
    } catch (error) {
      return { success: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  /** Refuses new statements, lets the accepted ones finish, then closes the session and the worker. */
  close(): Promise<void> {
    this.#closing ??= this.#drainAndClose();
    return this.#closing;
  }

  async #drainAndClose(): Promise<void> {
    if (this.#dead) return;
    this.#worker.ref();
    if (this.pending > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    if (this.#dead) return;
    // Answered by "closed", or by the thread's exit if it died meanwhile (then retire() does nothing).
    const closed = new Promise<void>((resolve) => {
      this.#worker.on("message", (message: FromWorker) => message.type === "closed" && resolve()).once("exit", resolve);
    });
    this.#dead = new Error("embedded ClickHouse is closed");
    this.#send({ type: "close" });
    await closed;
    await this.#thread.retire();
  }

  #base(queryId: string) {
    return { query_id: queryId, response_headers: {}, http_status_code: 200 };
  }

  #submit(kind: StatementKind, params: StatementParams, queryId: string, values?: string | ArrayBuffer) {
    return new Promise<{ bytes?: ArrayBuffer; summary?: Summary }>((resolve, reject) => {
      if (this.#dead) return reject(this.#dead);
      if (this.#closing) return reject(new Error("embedded ClickHouse is closing"));
      const queued = this.#writes.length + this.#reads.length;
      if (queued >= this.#options.maxQueued) {
        return reject(queueError("busy", `embedded ClickHouse is busy: ${queued} statements already waiting`));
      }
      if (params.abort_signal?.aborted) return reject(new Error("the statement was aborted before it ran"));
      const settings = engineSettings(params.clickhouse_settings);
      const request: StatementRequest = {
        type: "statement",
        id: this.#nextId++,
        kind,
        query: params.query,
        queryParams: params.query_params,
        settings,
        values,
        queryId,
      };
      const pending: Pending = { request, resolve, reject, settled: false, cleanup: () => {} };
      const settle = (error: Error) => {
        if (pending.settled) return;
        pending.settled = true;
        pending.cleanup();
        this.#remove(pending);
        reject(error);
      };
      const timer = this.#timerFor(settings, settle);
      const onAbort = () => settle(new Error("the statement was aborted"));
      params.abort_signal?.addEventListener("abort", onAbort, { once: true });
      pending.cleanup = () => {
        if (timer) clearTimeout(timer);
        params.abort_signal?.removeEventListener("abort", onAbort);
      };
      (WRITES.has(kind) ? this.#writes : this.#reads).push(pending);
      this.#pump();
    });
  }

  /** The engine stops a statement at max_execution_time; the caller is answered a grace period later regardless. */
  #timerFor(settings: Record<string, SettingValue>, settle: (error: Error) => void) {
    const seconds = Number(settings.max_execution_time ?? this.#options.sessionSettings.max_execution_time ?? 0);
    if (!(seconds > 0)) return null;
    const ms = seconds * 1000 + (this.#options.timeoutGraceMs ?? 5_000);
    return setTimeout(() => settle(queueError("timeout", `embedded ClickHouse did not answer within ${ms} ms`)), ms);
  }

  #remove(pending: Pending): void {
    for (const queue of [this.#writes, this.#reads]) {
      const index = queue.indexOf(pending);
      if (index >= 0) queue.splice(index, 1);
    }
  }

  #pump(): void {
    if (this.#inFlight || this.#dead) return;
    const next = this.#writes.shift() ?? this.#reads.shift();
    if (!next) {
      for (const resolve of this.#idle.splice(0)) resolve();
      if (!this.#closing) this.#worker.unref();
      return;
    }
    this.#inFlight = next;
    this.#worker.ref();
    try {
      this.#send(next.request);
    } catch (error) {
      // A parameter structured clone cannot copy (a function, a class instance): that call fails alone.
      this.#inFlight = null;
      if (!next.settled) {
        next.settled = true;
        next.cleanup();
        next.reject(new Error(`cannot pass the statement to the engine: ${(error as Error).message}`));
      }
      this.#pump();
    }
  }

  #send(message: ToWorker): void {
    const bytes = message.type === "statement" && message.values instanceof ArrayBuffer ? [message.values] : [];
    this.#worker.postMessage(message, bytes);
  }

  #onMessage(message: FromWorker): void {
    if (message.type !== "done" && message.type !== "failed") return;
    const pending = this.#inFlight;
    if (!pending || pending.request.id !== message.id) return;
    this.#inFlight = null;
    if (!pending.settled) {
      pending.settled = true;
      pending.cleanup();
      if (message.type === "done") pending.resolve({ bytes: message.bytes, summary: message.summary });
      else pending.reject(toError(message.error));
    }
    this.#pump();
  }

  #fail(error: Error): void {
    this.#thread.died();
    if (this.#dead) return;
    this.#dead = error;
    const all = [...(this.#inFlight ? [this.#inFlight] : []), ...this.#writes, ...this.#reads];
    this.#inFlight = null;
    this.#writes.length = 0;
    this.#reads.length = 0;
    for (const pending of all) {
      if (pending.settled) continue;
      pending.settled = true;
      pending.cleanup();
      pending.reject(error);
    }
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
