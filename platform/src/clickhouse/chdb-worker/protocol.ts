/**
 * Messages between the main thread's WorkerChdbConnection and the worker that owns the chdb session.
 * Plain structured-clone data: a result's bytes travel as a transferred ArrayBuffer (no copy).
 */

/** The statements of @clickhouse/client's Connection contract, each one a request to the worker. */
export type StatementKind = "query" | "exec" | "command" | "insert" | "ping";

export interface StatementRequest {
  type: "statement";
  id: number;
  kind: StatementKind;
  query: string;
  queryParams?: Record<string, unknown>;
  /** The statement's effective settings (client-level defaults merged with the call's own). */
  settings: Record<string, string | number | boolean>;
  /**
   * insert's body and exec's values, materialised on the main thread: text, or bytes (a transferred
   * ArrayBuffer, not copied) when the caller handed over Buffers.
   */
  values?: string | ArrayBuffer;
  queryId: string;
}

export interface OpenRequest {
  type: "open";
  path: string;
  /** Session settings applied once when the session opens (the process's defaults). */
  settings: Record<string, string | number | boolean>;
}

/** Closes the session; the thread stays until "exit" (see WorkerChdbConnection.close). */
export interface CloseRequest {
  type: "close";
}

export interface ExitRequest {
  type: "exit";
}

export type ToWorker = StatementRequest | OpenRequest | CloseRequest | ExitRequest;

export interface SerializedError {
  message: string;
  /** ClickHouse's error code and type (e.g. "396", "TOO_MANY_ROWS_OR_BYTES") when the engine raised it. */
  code?: string;
  type?: string;
}

export interface Summary {
  read_rows: string;
  read_bytes: string;
  written_rows: string;
  written_bytes: string;
  total_rows_to_read: string;
  result_rows: string;
  result_bytes: string;
  elapsed_ns: string;
}

export type FromWorker =
  | { type: "opened" }
  | { type: "open-failed"; error: SerializedError }
  | { type: "done"; id: number; bytes?: ArrayBuffer; summary?: Summary }
  | { type: "failed"; id: number; error: SerializedError }
  | { type: "closed" };
