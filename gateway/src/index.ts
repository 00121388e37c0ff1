export * from "./app.ts";
export * from "./config.ts";
export * from "./event-sink.ts";
export { runGateway } from "./main.ts";
export * from "./pricing-overrides.ts";
export * from "./start.ts";
