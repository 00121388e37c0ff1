import type { Migration } from "./migration.ts";

/**
 * Parts of `requests` stay in the compact format (all columns in one file) up to 256 MB uncompressed
 * (≈ 500,000 rows of typical events) instead of the default 10 MB, i.e. through the first levels of
 * background merges of ingest's 10,000-row inserts (≈ 4.6 MB each, compact already). A wide part writes
 * two files per column (~60 columns) and fsyncs each; merging six 10,000-row parts into one cost the
 * engine 7.0-7.5 µs per row compact against 7.7-9.8 wide and about two thirds of the wall time, and the
 * reads of the merged 300,000-row part (a breakdown, a log page, a trace lookup) were no slower
 * (test/bench/probe-merge-settings.ts). Bigger parts still become wide, where reading a few of many
 * columns pays. MODIFY SETTING rewrites nothing: existing parts keep their format until merged.
 */
export const compactParts: Migration = {
  version: 9,
  name: "requests parts stay compact up to 256 MB (cheaper merges of ingest's parts)",
  statements: ["ALTER TABLE requests MODIFY SETTING min_bytes_for_wide_part = 268435456"],
};
