import type { RequestEvent } from "@switchyard/events";
import { makeRequestEvent } from "@switchyard/ingest/testing";

/**
 * The ingest probes' synthetic request `i` of `count`: spread over the hour before `now`, five tenants,
 * fifty users, two models, two metadata keys — the same events in every probe, so their figures compare.
 */
export function probeEvent(i: number, count: number, now: number): RequestEvent {
  return makeRequestEvent({
    occurred_at: new Date(now - 3_600_000 + Math.floor((i * 3_600_000) / count)).toISOString(),
    tenant_id: `tenant-${i % 5}`,
    user: `user-${i % 50}`,
    model_requested: i % 3 === 0 ? "gpt-4o" : "gpt-4o-mini",
    metadata: { env: "bench", team: `team-${i % 7}` },
    cost_nano_usd: 1_000 + (i % 997),
  });
}
