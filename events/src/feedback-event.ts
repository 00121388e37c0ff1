import { z } from "zod";

/** User feedback on a traced request (POST /v1/feedback), on topic llm.feedback.v1 keyed by trace_id. */
export const FeedbackEvent = z.object({
  event_id: z.uuid({ version: "v7" }),
  schema_version: z.literal(1),
  occurred_at: z.iso.datetime({ offset: false }),
  tenant_id: z.string().min(1),
  trace_id: z.string().min(1).max(256),
  value: z.number().int().min(-10).max(10),
  weight: z.number().min(0).max(1),
  metadata: z.record(z.string(), z.string()),
});
export type FeedbackEvent = z.infer<typeof FeedbackEvent>;
