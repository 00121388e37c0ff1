import { formatIssues, issueParam, newEventId } from "@switchyard/events";
import type { KeyStore } from "@switchyard/platform";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { GatewayError } from "../errors.ts";
import { authenticate } from "../pipeline/authenticate.ts";
import type { EventSink } from "../pipeline/emit.ts";

/** Portkey's feedback body: a score for a traced request, optionally weighted, with string metadata. */
const FeedbackRequest = z.object({
  trace_id: z.string().min(1).max(256),
  value: z.number().int().min(-10).max(10),
  weight: z.number().min(0).max(1).default(1),
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

export interface FeedbackRouteDeps {
  keys: KeyStore;
  sink: EventSink;
}

/** POST /v1/feedback → one FeedbackEvent on llm.feedback.v1, scoped to the caller's tenant. */
export function registerFeedback(app: FastifyInstance, deps: FeedbackRouteDeps): void {
  app.post("/v1/feedback", async (request, reply) => {
    const { principal } = authenticate(request.headers, deps.keys);
    const parsed = FeedbackRequest.safeParse(request.body);
    if (!parsed.success) {
      const { issues } = parsed.error;
      throw new GatewayError("invalid_request", formatIssues(issues, { root: "body" }), issueParam(issues));
    }
    const body = parsed.data;
    const eventId = newEventId();
    deps.sink.emitFeedback({
      event_id: eventId,
      schema_version: 1,
      occurred_at: new Date().toISOString(),
      tenant_id: principal.tenantId,
      trace_id: body.trace_id,
      value: body.value,
      weight: body.weight,
      metadata: Object.fromEntries(Object.entries(body.metadata).map(([k, v]) => [k, String(v)])),
    });
    reply.code(200).send({ status: "success", message: "Feedback successfully saved", feedback_ids: [eventId] });
  });
}
