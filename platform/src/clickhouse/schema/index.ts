export type { Migration } from "./migration.ts";
export { MIGRATIONS } from "./migrations.ts";
export * from "./run-migrations.ts";
