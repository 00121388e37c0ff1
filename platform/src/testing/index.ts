export * from "./poll.ts";
export * from "./spool-harness.ts";
export * from "./test-clickhouse.ts";
export * from "./unhandled-rejections.ts";
