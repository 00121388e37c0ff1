import { z } from "zod";

/**
 * User feedback on a traced request (POST /v1/feedback, PUT /v1/feedback/{id}), on topic
 * llm.feedback.v1 keyed by trace_id. Every write is a new event; the latest event (by
 * occurred_at, then event_id) of a feedback_id is the one that counts — an update is a new
 * event with the same feedback_id. `tenant_id` is the writer's tenant: feedback joins a request
 * only on (tenant_id, trace_id), so feedback can never attach to another tenant's request.
 */
export const FeedbackEvent = z.object({
  event_id: z.uuid({ version: "v7" }),
  schema_version: z.literal(1),
  occurred_at: z.iso.datetime({ offset: false }),
  tenant_id: z.string().min(1),
  trace_id: z.string().min(1).max(256),
  /** Stable across updates; absent in events logged before updates existed (then it is event_id). */
  feedback_id: z.string().min(1).max(512).optional(),
  value: z.number().int().min(-10).max(10),
  weight: z.number().min(0).max(1),
  metadata: z.record(z.string(), z.string()),
});
export type FeedbackEvent = z.infer<typeof FeedbackEvent>;

/** The feedback id an event belongs to. */
export function feedbackIdOf(event: FeedbackEvent): string {
  return event.feedback_id ?? event.event_id;
}
