import type { Migration } from "./migration.ts";

/**
 * Parts of `requests` are compressed in blocks of 4–16 KiB instead of 64 KiB–1 MiB. A trace lookup or a
 * request's detail reads a few rows from ~150 column streams, and each stream is decompressed from its
 * granule's mark up to the row: with the default blocks a 10M-row store decompressed 13.6–15.0 MB to return a
 * trace's two rows, with these 9.0–10.1 MB, and the engine spent ~14 % less CPU per lookup (82.7–99.8 →
 * 70.0–81.2 ms at load 4–5, which inflates both; `test/bench/analytics-trace-probe.ts` on two copies of one
 * seeded store, alternating). Ingest is no dearer (`analytics-ingest-cost.ts`, 10,000-row inserts: insert +
 * merges 68.1 against 73.4 µs/event, medians of 3 rounds) and neither are a breakdown or a log page over a
 * merged wide part (`probe-merge-settings.ts wide,wide16k`); the table is ~7 % larger on disk.
 *
 * MODIFY SETTING rewrites nothing: new parts and merges use the new blocks, existing parts keep theirs until
 * merged (an operator may `OPTIMIZE TABLE requests FINAL` to rewrite them at once).
 */
export const smallCompressBlocks: Migration = {
  version: 10,
  name: "requests parts compressed in 4-16 KiB blocks (cheaper point reads)",
  statements: ["ALTER TABLE requests MODIFY SETTING min_compress_block_size = 4096, max_compress_block_size = 16384"],
};
