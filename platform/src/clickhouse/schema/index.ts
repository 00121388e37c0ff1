export { LOG_MS_SCALE, timingQuantilesSql } from "./007-timing-percentiles.ts";
export { RECORD_JSON_COLUMNS, RECORD_JSON_LAYOUTS, RECORD_JSON_VERSION } from "./011-record-json.ts";
export type { Migration } from "./migration.ts";
export { MIGRATIONS } from "./migrations.ts";
export * from "./run-migrations.ts";
