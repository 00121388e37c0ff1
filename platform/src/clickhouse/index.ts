export { ClickHouseQueueErrorCodes } from "./chdb-worker/errors.ts";
export * from "./client.ts";
export * from "./config.ts";
export * from "./schema/index.ts";
export * from "./time.ts";
