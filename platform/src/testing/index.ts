export * from "./poll.ts";
export * from "./test-clickhouse.ts";
