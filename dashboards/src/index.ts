export * from "./files.ts";
export * from "./panel-queries.ts";
