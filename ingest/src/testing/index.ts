// The write path's pieces, for the ingest probes in test/bench (diagnosis tools measuring each stage apart).
export { startConsumerLoop } from "../consumer/consumer-loop.ts";
export { topicRoute } from "../consumer/topic-route.ts";
export { bodyChunks, type PendingRow, packRows } from "../rows/pending-row.ts";
export { requestRowJson } from "../rows/request-row.ts";
export { requestRow } from "../rows/request-row-binary.ts";
export type { BatchWriter } from "../writer/batch-writer.ts";
export { insertExactlyOnce, storedEventIds } from "../writer/exactly-once-insert.ts";
export * from "./caught-up.ts";
export * from "./poll.ts";
export * from "./request-event-factory.ts";
export * from "./store-events.ts";
export * from "./test-clickhouse.ts";
