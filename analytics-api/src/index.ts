export * from "./app.ts";
export * from "./errors.ts";
export type { GroupBy, Interval } from "./http/query-params.ts";
export type { CostRow, TimeseriesRow } from "./repositories/costs-repository.ts";
export type { RequestRecord } from "./repositories/request-record.ts";
export * from "./settings.ts";
export * from "./start.ts";
