export * from "./config.ts";
export { DeadLetterHeaders } from "./consumer/dead-letters.ts";
export * from "./ingest.ts";
export * from "./replay-from-log.ts";
export * from "./settings.ts";
export type { IngestTable, InsertOutcome } from "./writer/exactly-once-insert.ts";
