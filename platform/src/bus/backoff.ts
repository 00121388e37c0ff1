import type { BackoffPolicy } from "../backoff.ts";

// The bus's retry loops (consumer handlers, spool replay, Kafka reconnects) use the shared
// backoff; this module only holds the bus's default schedule: 200 ms doubling to 10 s, ±20 %.
export { type BackoffPolicy, backoffDelay, sleep } from "../backoff.ts";

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 10_000 };
