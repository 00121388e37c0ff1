export * from "./caught-up.ts";
export * from "./poll.ts";
export * from "./request-event-factory.ts";
export * from "./store-events.ts";
export * from "./test-clickhouse.ts";
