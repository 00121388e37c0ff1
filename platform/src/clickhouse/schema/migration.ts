/**
 * A schema change. Statements must be idempotent on their own (IF NOT EXISTS / IF EXISTS):
 * a crash between the last statement and recording the version re-runs the whole migration.
 * A released migration is never edited; a change is a new version.
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}
