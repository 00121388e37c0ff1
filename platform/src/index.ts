export * from "./auth/keys.ts";
export * from "./bus/event-bus.ts";
export * from "./logger.ts";
export * from "./auth/keys-file.ts";
export * from "./config/bus-config.ts";
export * from "./config/env-helpers.ts";
export * from "./clickhouse/index.ts";
export * from "./bus/embedded/embedded-event-bus.ts";
