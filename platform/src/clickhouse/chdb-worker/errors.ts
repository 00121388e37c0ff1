import { ClickHouseError } from "@clickhouse/client";
import type { SerializedError } from "./protocol.ts";

/**
 * `code` of the errors the embedded engine's queue raises itself (not the engine): the store is
 * overloaded, not the query wrong, so an API answers them like an unreachable store (retry later).
 */
export const ClickHouseQueueErrorCodes = {
  busy: "SWITCHYARD_CLICKHOUSE_BUSY",
  timeout: "SWITCHYARD_CLICKHOUSE_TIMEOUT",
} as const;

export function queueError(code: keyof typeof ClickHouseQueueErrorCodes, message: string): Error {
  return Object.assign(new Error(message), { code: ClickHouseQueueErrorCodes[code] });
}

export function toError(error: SerializedError): Error {
  if (error.code !== undefined)
    return new ClickHouseError({ message: error.message, code: error.code, type: error.type });
  return new Error(error.message);
}
