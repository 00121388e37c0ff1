export * from "./config.ts";
export { DeadLetterHeaders } from "./consumer/dead-letters.ts";
export * from "./ingest.ts";
export * from "./replay-from-log.ts";
export type { Migration } from "./schema/migration.ts";
export { MIGRATIONS } from "./schema/migrations.ts";
export * from "./schema/run-migrations.ts";
export * from "./settings.ts";
export type { IngestTable, InsertOutcome } from "./writer/exactly-once-insert.ts";
