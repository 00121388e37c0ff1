import type { ClickHouseClient } from "@clickhouse/client";
import { type RequestEvent, Topics } from "@switchyard/events";
import { requestRow } from "../rows/request-row-binary.ts";
import { type InsertOutcome, insertExactlyOnce } from "../writer/exactly-once-insert.ts";

/**
 * Stores events through the same row mapping and exactly-once insert ingest uses, as if they were
 * consumed from partition 0 at offsets firstOffset, firstOffset+1, ... (read-side tests need no bus).
 */
export async function storeRequestEvents(
  client: ClickHouseClient,
  events: readonly RequestEvent[],
  firstOffset = 0,
): Promise<InsertOutcome> {
  const rows = events.map((event, i) => {
    const decoded = requestRow(event, { topic: Topics.requests, partition: 0, offset: String(firstOffset + i) });
    if (!decoded.ok) throw new Error(decoded.reason);
    return decoded.row;
  });
  return insertExactlyOnce(client, "requests", rows);
}
