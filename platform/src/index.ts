export * from "./auth/keys.ts";
export * from "./bus/event-bus.ts";
export * from "./logger.ts";
