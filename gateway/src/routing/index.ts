// The routing module's public surface: parse a Portkey config, resolve it into a route tree,
// and run a request through it. Everything here is transport-free.
export * from "./circuit-breaker.ts";
export * from "./conditions.ts";
export * from "./config-issues.ts";
export * from "./config-schema.ts";
export * from "./hooks-schema.ts";
export * from "./leaf-attempt.ts";
export * from "./parse-config-header.ts";
export * from "./provider-fields.ts";
export * from "./resolve-config.ts";
export * from "./retry.ts";
export * from "./router.ts";
export * from "./select.ts";
