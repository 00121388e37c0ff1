export * from "./codec.ts";
export * from "./feedback-event.ts";
export * from "./limit-alert-event.ts";
export * from "./pricing.ts";
export * from "./request-event.ts";
export * from "./topics.ts";
export * from "./uuid.ts";
export * from "./zod-issues.ts";
